namespace MtaCluster.Actors.Sharding;

/// <summary>
/// A message already routed: the region delivers <see cref="Message"/> to the entity without asking
/// its extractor. This is how a forwarded message enters the owner's region.
/// </summary>
public sealed record EntityEnvelope(string ShardId, string EntityId, object Message) : IShardRegionCommand;
