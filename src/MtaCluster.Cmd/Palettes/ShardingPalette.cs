using System.CommandLine;

namespace MtaCluster.Cmd.Palettes;

/// <summary><c>cluster-sharding</c>: the shard regions (Petabridge.Cmd's palette of that name).</summary>
public static class ShardingPalette
{
    public static void Add(RootCommand root, PbmCommandKit kit)
    {
        var sharding = PbmCommandKit.Child(root, "cluster-sharding", "The shard regions: entities, shards and their owners");
        sharding.Add(kit.Leaf("regions", "The domain and message regions on this node: entities, shards with entities", _ => "/api/sharding/regions", Views.ShardingRegions));

        // Each command its own option instance: System.CommandLine binds an option to one parent.
        var regionOfStats = Region();
        var regionStats = kit.Leaf("region-stats", "Entities per shard on this node, and every member's shards by lease",
            r => $"/api/sharding/regions/{Uri.EscapeDataString(r.GetValue(regionOfStats)!)}", Views.ShardingRegionStats);
        regionStats.Add(regionOfStats);
        sharding.Add(regionStats);

        var regionOfShards = Region();
        var shard = new Option<int?>("-s", "--shard") { Description = "One shard (shown even when it has no entities here)" };
        var shardStats = kit.Leaf("shard-stats", "Shards with entities on this node (or one shard): its entities and owner",
            r => $"/api/sharding/regions/{Uri.EscapeDataString(r.GetValue(regionOfShards)!)}/shards" + (r.GetValue(shard) is { } s ? $"?shard={s}" : ""),
            Views.ShardingShardStats);
        shardStats.Add(regionOfShards);
        shardStats.Add(shard);
        sharding.Add(shardStats);

        var key = new Argument<string>("domain|message-id") { Description = "A destination domain, or the queue id of a queued message" };
        var owner = kit.Leaf("shard-owner", "The shard of a domain or a queued message, and the node that owns it",
            r => $"/api/sharding/owner/{Uri.EscapeDataString(r.GetValue(key)!)}", Views.ShardingOwner);
        owner.Add(key);
        sharding.Add(owner);
    }

    private static Option<string> Region()
    {
        var option = new Option<string>("-r", "--region") { Description = "The region's type: domain or message", Required = true };
        option.AcceptOnlyFromAmong("domain", "message");
        return option;
    }
}
