namespace MtaCluster.Actors.Sharding;

/// <summary>Running entities per shard id, over the shards this region has seen.</summary>
public sealed record ShardRegionStats(IReadOnlyDictionary<string, int> Stats)
{
    public int EntityCount => Stats.Values.Sum();
}
