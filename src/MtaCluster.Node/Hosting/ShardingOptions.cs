namespace MtaCluster.Node.Hosting;

/// <summary>The "Sharding" section of node.yaml.</summary>
public sealed class ShardingOptions
{
    public const string Section = "Sharding";

    /// <summary>Shards per entity type; fixed for the life of a cluster because spooled recipients carry their shard.</summary>
    public int MaxShards { get; set; } = 1024;

    /// <summary>An entity that received nothing for this long is stopped; its state is in the store.</summary>
    public TimeSpan PassivateIdleEntityAfter { get; set; } = TimeSpan.FromMinutes(2);
}
