namespace MtaCluster.Storage;

/// <summary>
/// One caller's write, waiting for a provider's group-commit writer. The caller's cancellation wins only
/// while the write is still queued; once the writer has taken it into a transaction, the transaction's
/// outcome is the caller's outcome.
/// </summary>
internal abstract class PendingWrite
{
    private const int Queued = 0;
    private const int Taken = 1;
    private const int Cancelled = 2;

    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenRegistration _cancellation;
    private int _state;

    public Task Completion => _completion.Task;

    public void AttachCancellation(CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
            _cancellation = cancellationToken.UnsafeRegister(static (state, token) => ((PendingWrite)state!).Cancel(token), this);
    }

    /// <summary>Claims the write for a batch; false when its caller has already cancelled it.</summary>
    public bool TryTake() => Interlocked.CompareExchange(ref _state, Taken, Queued) == Queued;

    public void Succeed()
    {
        _cancellation.Dispose();
        _completion.TrySetResult();
    }

    public void Fail(Exception exception)
    {
        _cancellation.Dispose();
        _completion.TrySetException(exception);
    }

    /// <summary>Forgets a write that never reached the queue.</summary>
    public void Abandon() => _cancellation.Dispose();

    private void Cancel(CancellationToken token)
    {
        if (Interlocked.CompareExchange(ref _state, Cancelled, Queued) == Queued)
            _completion.TrySetCanceled(token);
    }
}
