using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using MtaCluster.Node.Hosting;

namespace MtaCluster.Node.Admin;

/// <summary>
/// The cluster's operator actions, answered by any node from the store: <c>GET /api/cluster/leader</c>
/// (the coordinator lease), <c>POST /api/cluster/leave</c> <c>{ "node": name }</c> (the named node, or this
/// one, reads the request in its next heartbeat and stops as on SIGTERM: hands its shards off, then
/// exits; answered at once, 202) and <c>POST /api/cluster/down</c> <c>{ "node": name }</c> (a silent node is
/// marked down and its leases lapse now; a node still heartbeating is refused, 409). On a node of its
/// own (SQLite) the leader is itself and leave and down are refused: there is no cluster to leave.
/// </summary>
public sealed class ClusterAdminRoutes(AdminApi api, NodeOptions node, IClusterStatusSource? cluster = null) : IAdminRoutes
{
    private const string NeedsCluster = "this node runs on its own (SQLite spool): there is no cluster to {0}; stop the node (SIGTERM) to take it out of service";

    public void Map(IEndpointRouteBuilder routes)
    {
        routes.MapGet("/api/cluster/leader", async (HttpContext c) =>
        {
            var leader = cluster is null
                ? new LeaderView(node.EffectiveName, api.ListenAddress, 0, null, Held: true)
                : await cluster.GetLeaderAsync(c.RequestAborted).ConfigureAwait(false);
            await AdminResults.Json(c, leader).ConfigureAwait(false);
        });
        routes.MapPost("/api/cluster/leave", (HttpContext c) => ActAsync(c, "leave"));
        routes.MapPost("/api/cluster/down", (HttpContext c) => ActAsync(c, "down"));
    }

    private async Task ActAsync(HttpContext c, string action)
    {
        if (cluster is null)
        {
            await AdminResults.Error(c, StatusCodes.Status409Conflict, "not_clustered", string.Format(System.Globalization.CultureInfo.InvariantCulture, NeedsCluster, action)).ConfigureAwait(false);
            return;
        }
        var request = await AdminRequests.ReadAsync<MemberActionRequest>(c).ConfigureAwait(false);
        var name = string.IsNullOrWhiteSpace(request?.Node) ? null : request.Node.Trim();
        if (name is null && action == "down")
        {
            await AdminResults.Error(c, StatusCodes.Status400BadRequest, "bad_request", "down needs { \"node\": name }: the node to mark down").ConfigureAwait(false);
            return;
        }
        name ??= node.EffectiveName;
        if (action == "down" && name == node.EffectiveName)
        {
            await AdminResults.Error(c, StatusCodes.Status409Conflict, "refused",
                $"{name} is this node, which is running: use 'cluster leave' to take it out (it hands its shards off first)").ConfigureAwait(false);
            return;
        }
        var outcome = action == "leave"
            ? await cluster.RequestLeaveAsync(name, c.RequestAborted).ConfigureAwait(false)
            : await cluster.DownAsync(name, c.RequestAborted).ConfigureAwait(false);
        switch (outcome.Result)
        {
            case MemberRequestResult.NotFound:
                await AdminResults.Error(c, StatusCodes.Status404NotFound, "not_found", outcome.Message ?? $"no node {name}").ConfigureAwait(false);
                return;
            case MemberRequestResult.Refused:
                await AdminResults.Error(c, StatusCodes.Status409Conflict, "refused", outcome.Message ?? $"{action} of {name} refused").ConfigureAwait(false);
                return;
        }
        var message = action == "leave"
            ? $"{name} asked to leave: it hands off its {outcome.Shards} shards, then exits"
            : $"{name} marked down: its {outcome.Shards} shards are reallocated to the nodes up";
        await AdminResults.Json(c, new MemberActionView(name, action, outcome.State, outcome.Shards, message),
            action == "leave" ? StatusCodes.Status202Accepted : StatusCodes.Status200OK).ConfigureAwait(false);
    }
}
