namespace MtaCluster.Actors;

internal sealed class DeadLetterActorRef(ActorSystem system) : IInternalActorRef
{
    public string Path => "/deadLetters";

    public string Name => "deadLetters";

    public ActorSystem System => system;

    public void Tell(object message, IActorRef? sender = null) => system.SendToDeadLetters(message, sender, this);

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

    public Task StopAsync() => Task.CompletedTask;

    public override string ToString() => Path;
}
