namespace MtaCluster.Storage.Sqlite;

/// <summary>
/// One caller's write, waiting for the writer. A caller's cancellation wins only while the write is
/// still queued; once the writer has taken it into a transaction, the transaction's outcome is the
/// caller's outcome.
/// </summary>
internal abstract class SqliteWriteOperation
{
    private const int Queued = 0;
    private const int Taken = 1;
    private const int Cancelled = 2;

    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenRegistration _cancellation;
    private int _state;

    public Task Completion => _completion.Task;

    /// <summary>Messages this write stores (for the counters).</summary>
    public virtual int MessageCount => 0;

    /// <summary>
    /// Upkeep (an incremental vacuum step, a checkpoint) that must not share a callers' group commit:
    /// the writer commits what it has gathered before it and runs it in a transaction of its own, so
    /// a commit waits for at most one small step, never for upkeep inside its own transaction.
    /// </summary>
    public virtual bool RunsAlone => false;

    /// <summary>Runs the write inside the writer's open transaction (outside any, when it <see cref="RunsAlone"/>).</summary>
    public abstract void Execute(SqliteSpoolWriter writer);

    public void AttachCancellation(CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
            _cancellation = cancellationToken.UnsafeRegister(static (state, token) => ((SqliteWriteOperation)state!).Cancel(token), this);
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
