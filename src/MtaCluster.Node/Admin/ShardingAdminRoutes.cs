using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using MtaCluster.Actors;
using MtaCluster.Actors.Sharding;
using MtaCluster.Delivery.Domains;
using MtaCluster.Node.Hosting;
using MtaCluster.Storage;

namespace MtaCluster.Node.Admin;

/// <summary>
/// The shard regions under <c>/api/sharding/</c>: <c>regions</c> (the domain and message regions on this
/// node), <c>regions/{type}</c> (entities per shard here, and every member's shards by lease),
/// <c>regions/{type}/shards[?shard=N]</c> (a shard's entities and owner) and <c>owner/{key}</c> (a domain's
/// or a queued message's shard and the node holding its lease). Entity counts are this node's own,
/// asked of its regions; owners are the store's leases, so any node names the same owner.
/// </summary>
public sealed class ShardingAdminRoutes(
    AdminApi api,
    DeliveryEngine engine,
    IQueueStore store,
    ShardingOptions sharding,
    DomainPlacement placement,
    NodeOptions node,
    Func<int> shardsOwned,
    IClusterStatusSource? cluster = null) : IAdminRoutes
{
    public const string DomainRegion = "domain";
    public const string MessageRegion = "message";
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(2);

    public void Map(IEndpointRouteBuilder routes)
    {
        routes.MapGet("/api/sharding/regions", (HttpContext c) => AnswerAsync(c, async () =>
        {
            var regions = new List<RegionView>();
            foreach (var type in new[] { DomainRegion, MessageRegion })
            {
                if (Region(type) is not { } region) continue;
                var stats = await region.Ask<ShardRegionStats>(GetShardRegionStats.Instance, AskTimeout, c.RequestAborted).ConfigureAwait(false);
                regions.Add(new RegionView(type, stats.EntityCount, stats.Stats.Count(s => s.Value > 0)));
            }
            return new RegionsView(node.EffectiveName, sharding.MaxShards, shardsOwned(), regions);
        }));
        routes.MapGet("/api/sharding/regions/{type}", (HttpContext c, string type) => AnswerAsync(c, async () =>
        {
            if (Region(type) is not { } region) return null;
            var stats = await region.Ask<ShardRegionStats>(GetShardRegionStats.Instance, AskTimeout, c.RequestAborted).ConfigureAwait(false);
            var shards = stats.Stats.Where(s => s.Value > 0)
                .Select(s => new ShardEntitiesView(int.Parse(s.Key, CultureInfo.InvariantCulture), s.Value))
                .OrderBy(s => s.Shard).ToList();
            var members = cluster is null
                ? [new MemberShardsView(node.EffectiveName, Enumerable.Range(0, sharding.MaxShards).ToList())]
                : (await cluster.GetLeaseOwnersAsync(c.RequestAborted).ConfigureAwait(false))
                    .GroupBy(l => l.Value, l => l.Key)
                    .OrderBy(g => g.Key, StringComparer.Ordinal)
                    .Select(g => new MemberShardsView(g.Key, g.Order().ToList()))
                    .ToList();
            return new RegionStatsView(type, node.EffectiveName, stats.EntityCount, shards, members);
        }));
        routes.MapGet("/api/sharding/regions/{type}/shards", async (HttpContext c, string type) =>
        {
            int? only = null;
            if (c.Request.Query.TryGetValue("shard", out var value))
            {
                if (!int.TryParse(value.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var s) || s >= sharding.MaxShards)
                {
                    await AdminResults.Error(c, StatusCodes.Status400BadRequest, "bad_request", $"shard must be a whole number from 0 to {sharding.MaxShards - 1}, not '{value}'").ConfigureAwait(false);
                    return;
                }
                only = s;
            }
            await AnswerAsync(c, async () =>
            {
                if (Region(type) is not { } region) return null;
                var state = await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, AskTimeout, c.RequestAborted).ConfigureAwait(false);
                var running = state.Shards.ToDictionary(s => int.Parse(s.ShardId, CultureInfo.InvariantCulture), s => s.EntityIds);
                var owners = await OwnersAsync(c.RequestAborted).ConfigureAwait(false);
                // One shard asked for: shown even when idle here (its owner may be another node); else those with entities here.
                IEnumerable<int> shards = only is { } one ? [one] : running.Where(r => r.Value.Count > 0).Select(r => r.Key).Order();
                return new ShardStatsListView(type, node.EffectiveName, shards.Select(s =>
                {
                    var ids = running.TryGetValue(s, out var e) ? e.Order(StringComparer.Ordinal).ToList() : [];
                    return new ShardStatsView(s, owners(s), ids.Count, ids);
                }).ToList());
            }).ConfigureAwait(false);
        });
        routes.MapGet("/api/sharding/owner/{key}", (HttpContext c, string key) => AnswerAsync(c, async () =>
        {
            // A queued message is found by its id; anything else is a domain (as its mail is filed: DomainPlacement).
            var message = await store.GetMessageAsync(key, c.RequestAborted).ConfigureAwait(false);
            var (kind, shard) = message is not null
                ? (MessageRegion, ShardHash.ShardOf(message.Id, sharding.MaxShards))
                : (DomainRegion, placement.ShardOf(MtaCluster.Delivery.Policies.DomainPolicyResolver.NormalizeDomain(key)));
            var owners = await OwnersAsync(c.RequestAborted).ConfigureAwait(false);
            var owner = owners(shard);
            string? address = null;
            if (owner == node.EffectiveName) address = api.ListenAddress;
            else if (owner is not null && cluster is not null)
                address = (await cluster.GetMembersAsync(c.RequestAborted).ConfigureAwait(false)).FirstOrDefault(m => m.Name == owner)?.AdminAddress;
            return new ShardOwnerView(key, kind, kind, shard, owner, address, node.EffectiveName);
        }));
    }

    private IActorRef? Region(string type) => type switch
    {
        DomainRegion => engine.Domains,
        MessageRegion => engine.Messages,
        _ => null,
    };

    private async Task<Func<int, string?>> OwnersAsync(CancellationToken cancellationToken)
    {
        if (cluster is null) return _ => node.EffectiveName;
        var leases = await cluster.GetLeaseOwnersAsync(cancellationToken).ConfigureAwait(false);
        return shard => leases.GetValueOrDefault(shard);
    }

    private static async Task AnswerAsync<T>(HttpContext c, Func<Task<T?>> answer) where T : class
    {
        T? value;
        try
        {
            value = await answer().ConfigureAwait(false);
        }
        catch (AskTimeoutException)
        {
            await AdminResults.Error(c, StatusCodes.Status503ServiceUnavailable, "busy", "the shard region did not answer in time; try again").ConfigureAwait(false);
            return;
        }
        if (value is null)
        {
            await AdminResults.Error(c, StatusCodes.Status404NotFound, "not_found", $"no region '{c.Request.RouteValues["type"]}': the regions are {DomainRegion} and {MessageRegion}").ConfigureAwait(false);
            return;
        }
        await AdminResults.Json(c, value).ConfigureAwait(false);
    }
}
