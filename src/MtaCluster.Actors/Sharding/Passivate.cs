namespace MtaCluster.Actors.Sharding;

/// <summary>
/// Sent by an entity to its parent (<c>Context.Parent</c>, the region) to be stopped: the region
/// buffers new messages for it, sends it <see cref="StopMessage"/> (which must make it stop) and,
/// if messages arrived meanwhile, starts a new incarnation and delivers them in order.
/// </summary>
public sealed record Passivate(object StopMessage) : IShardRegionCommand;
