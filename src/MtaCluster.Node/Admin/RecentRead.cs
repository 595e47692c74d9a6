namespace MtaCluster.Node.Admin;

/// <summary>
/// A read that may be answered from its last result while that is younger than the caller allows: a
/// status page open in a few browsers polls the queue's totals every few seconds, and each is a pass
/// over the recipients. Callers asking at the same time share one read. Callers that allow no age
/// (pbm, right after an action) always read afresh, and their result serves the next ones.
/// </summary>
public sealed class RecentRead<T>(Func<CancellationToken, Task<T>> read, TimeProvider time) where T : class
{
    private readonly Lock _gate = new();
    private (T Value, DateTimeOffset At)? _last;
    private Task<T>? _running;

    public async Task<T> GetAsync(TimeSpan maxAge, CancellationToken cancellationToken)
    {
        Task<T> running;
        TaskCompletionSource<T>? started = null;
        lock (_gate)
        {
            if (maxAge > TimeSpan.Zero && _last is { } last && time.GetUtcNow() - last.At <= maxAge) return last.Value;
            // A read under way is as fresh as a new one would be: share it.
            if (maxAge > TimeSpan.Zero && _running is { IsCompleted: false } shared)
            {
                running = shared;
            }
            else
            {
                started = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
                running = _running = started.Task;
            }
        }
        // The read itself runs outside the lock: callers that may share it need not wait to be told.
        if (started is not null) _ = ReadIntoAsync(started);
        return await running.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task ReadIntoAsync(TaskCompletionSource<T> result)
    {
        var at = time.GetUtcNow();
        try
        {
            // Not the caller's token: others may be waiting on this read.
            var value = await read(CancellationToken.None).ConfigureAwait(false);
            lock (_gate)
            {
                if (_last is not { } last || last.At <= at) _last = (value, at);
            }
            result.SetResult(value);
        }
        catch (Exception ex)
        {
            result.SetException(ex);
        }
    }
}
