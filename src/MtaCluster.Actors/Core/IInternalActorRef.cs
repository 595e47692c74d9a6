namespace MtaCluster.Actors;

/// <summary>Lets runtime code reach the owning system from any reference it created.</summary>
internal interface IInternalActorRef : IActorRef
{
    ActorSystem System { get; }

    Task StopAsync();
}
