namespace MtaCluster.Actors.Sharding;

public sealed record CurrentShardRegionState(IReadOnlyList<ShardState> Shards);
