namespace MtaCluster.Cluster.Membership;

/// <summary>
/// Test hook: freezes a member's loops between two steps, as SIGSTOP freezes a process, so tests can
/// show what a node that falls silent and comes back does. <see cref="PauseAsync"/> returns once every
/// loop is parked.
/// </summary>
internal sealed class PauseGate
{
    private readonly object _gate = new();
    private readonly int _loops;
    private TaskCompletionSource? _resume;
    private TaskCompletionSource? _allParked;
    private int _parked;

    public PauseGate(int loops)
    {
        _loops = loops;
    }

    public Task PauseAsync()
    {
        lock (_gate)
        {
            _resume ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _allParked ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_parked == _loops) _allParked.TrySetResult();
            return _allParked.Task;
        }
    }

    public void Resume()
    {
        TaskCompletionSource? resume;
        lock (_gate)
        {
            resume = _resume;
            _resume = null;
            _allParked = null;
        }

        resume?.TrySetResult();
    }

    /// <summary>Called by each loop between steps: returns at once unless paused.</summary>
    public async Task WaitIfPausedAsync(CancellationToken cancellationToken)
    {
        Task resume;
        lock (_gate)
        {
            if (_resume is null) return;
            resume = _resume.Task;
            _parked++;
            if (_parked == _loops) _allParked?.TrySetResult();
        }

        try
        {
            await resume.WaitAsync(cancellationToken);
        }
        finally
        {
            lock (_gate) _parked--;
        }
    }
}
