namespace MtaCluster.Actors;

/// <summary>A message and its sender, stored by value in the mailbox so a tell allocates nothing.</summary>
internal readonly struct Envelope(object message, IActorRef? sender)
{
    public object Message { get; } = message;

    public IActorRef? Sender { get; } = sender;
}
