namespace MtaCluster.Actors;

/// <summary>The temporary sender of an ask: the first message told to it completes the ask.</summary>
internal sealed class PromiseActorRef(string targetPath) : IActorRef
{
    private readonly TaskCompletionSource<object> _reply = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Path { get; } = targetPath + "/$ask";

    public string Name => "$ask";

    public Task<object> Reply => _reply.Task;

    public void Tell(object message, IActorRef? sender = null)
    {
        if (message is Status.Failure failure)
        {
            _reply.TrySetException(failure.Cause);
        }
        else
        {
            _reply.TrySetResult(message);
        }
    }

    public bool TryTell(object message, IActorRef? sender = null)
    {
        Tell(message, sender);
        return true;
    }

    public ValueTask TellAsync(object message, IActorRef? sender = null, CancellationToken cancellationToken = default)
    {
        Tell(message, sender);
        return default;
    }

    public void Fail(Exception exception) => _reply.TrySetException(exception);

    public override string ToString() => Path;
}
