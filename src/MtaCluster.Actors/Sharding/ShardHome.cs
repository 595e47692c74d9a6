namespace MtaCluster.Actors.Sharding;

/// <summary>
/// The shard's new home is decided (ownership updated): end the hand-off and send the buffered
/// messages where <see cref="IShardOwnership"/> now says, in the order they arrived.
/// </summary>
public sealed record ShardHome(string ShardId) : IShardRegionCommand;
