namespace MtaCluster.Actors;

/// <summary>Delivered to a watcher once the watched actor has stopped (after its PostStop).</summary>
public sealed record Terminated(IActorRef ActorRef) : IAutoReceivedMessage;
