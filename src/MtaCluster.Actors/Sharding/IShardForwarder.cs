namespace MtaCluster.Actors.Sharding;

/// <summary>
/// Carries a message for a shard owned elsewhere to its owner (a node-to-node transport). The
/// owner's side delivers it by telling its own region the same <see cref="EntityEnvelope"/>.
/// Must not block: the region may call it while holding a shard's lock.
/// </summary>
public interface IShardForwarder
{
    void Forward(string typeName, EntityEnvelope envelope, IActorRef? sender);
}
