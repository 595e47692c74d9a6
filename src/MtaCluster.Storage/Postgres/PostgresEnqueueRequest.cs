namespace MtaCluster.Storage.Postgres;

/// <summary>
/// One caller's message, waiting for the writer. The caller's cancellation wins only while the message
/// is still queued; once the writer has taken it into a transaction, the transaction's outcome is the call's.
/// </summary>
internal sealed class PostgresEnqueueRequest(SpoolMessage message)
{
    private const int Queued = 0;
    private const int Taken = 1;
    private const int Cancelled = 2;

    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenRegistration _cancellation;
    private int _state;

    public SpoolMessage Message { get; } = message;

    public Task Completion => _completion.Task;

    public void AttachCancellation(CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
            _cancellation = cancellationToken.UnsafeRegister(static (state, token) => ((PostgresEnqueueRequest)state!).Cancel(token), this);
    }

    /// <summary>Claims the message for a batch; false when its caller has already cancelled it.</summary>
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

    /// <summary>Forgets a message that never reached the queue.</summary>
    public void Abandon() => _cancellation.Dispose();

    private void Cancel(CancellationToken token)
    {
        if (Interlocked.CompareExchange(ref _state, Cancelled, Queued) == Queued)
            _completion.TrySetCanceled(token);
    }
}
