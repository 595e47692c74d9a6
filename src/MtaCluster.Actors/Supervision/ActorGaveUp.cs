namespace MtaCluster.Actors;

/// <summary>Published on the event stream when supervision stops an actor that kept failing.</summary>
public sealed record ActorGaveUp(IActorRef Actor, Exception Cause, int Restarts);
