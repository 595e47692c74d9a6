using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace MtaCluster.Cmd.Palettes;

/// <summary><c>cluster</c>: the members.</summary>
public static class ClusterPalette
{
    public static void Add(RootCommand root, PbmCommandKit kit)
    {
        var cluster = PbmCommandKit.Child(root, "cluster", "The cluster's members");
        cluster.Add(kit.Leaf("show", "A line per node: address | status | shards | entities | up since", _ => "/api/cluster", Views.ClusterShow));
        cluster.Add(kit.Leaf("status", "The cluster in brief: nodes up, shards owned", _ => "/api/cluster", Views.ClusterStatus));
        cluster.Add(kit.Leaf("leader", "The coordinator (the node that allocates the shards)", _ => "/api/cluster/leader", Views.ClusterLeader));
        cluster.Add(Leave(kit));

        var downNode = new Argument<string>("node") { Description = "The unreachable node's name" };
        var down = kit.Act("down", "Mark an unreachable node down now, so its shards are reallocated (refused for a node still heartbeating: use leave)",
            HttpMethod.Post, _ => "/api/cluster/down", r => new { Node = r.GetValue(downNode) }, Views.ClusterMemberAction);
        down.Add(downNode);
        cluster.Add(down);
    }

    private static Command Leave(PbmCommandKit kit)
    {
        var node = new Argument<string?>("node") { Description = "The node to leave (default: the node pbm speaks to)", Arity = ArgumentArity.ZeroOrOne };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for the node to be gone", DefaultValueFactory = _ => 120 };
        var leave = new Command("leave", "The node hands its shards off and exits (as on SIGTERM); waits until it is gone from the cluster");
        leave.Add(node);
        leave.Add(timeout);
        leave.SetAction(async (result, ct) =>
        {
            using var client = kit.Client(result);
            var (document, text) = await client.SendAsync(HttpMethod.Post, "/api/cluster/leave", new { Node = result.GetValue(node) }, ct).ConfigureAwait(false);
            var json = kit.WantsJson(result);
            await kit.PrintAsync(result, document, text, Views.ClusterMemberAction).ConfigureAwait(false);
            var name = document.GetProperty("node").GetString()!;
            var self = name == await SelfNameAsync(client, ct).ConfigureAwait(false);
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct);
            bounded.CancelAfter(TimeSpan.FromSeconds(result.GetValue(timeout)));
            try
            {
                return await WaitGoneAsync(kit, client, name, self, json, bounded.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                await kit.Error.WriteLineAsync($"error: {name} is still a member after {result.GetValue(timeout)} s; 'cluster show' tells where it stands").ConfigureAwait(false);
                return PbmApp.Failed;
            }
        });
        return leave;
    }

    private static async Task<string?> SelfNameAsync(AdminClient client, CancellationToken ct)
    {
        var (cluster, _) = await client.GetAsync("/api/cluster", ct).ConfigureAwait(false);
        return cluster.GetProperty("nodes").EnumerateArray().Where(n => n.GetProperty("self").GetBoolean())
            .Select(n => n.GetProperty("name").GetString()).FirstOrDefault();
    }

    // Progress: a line each time the leaving node's state or shard count changes, until it is no longer listed
    // (removed). Leaving the node pbm speaks to ends with its endpoint closing, which is the node gone.
    private static async Task<int> WaitGoneAsync(PbmCommandKit kit, AdminClient client, string name, bool self, bool json, CancellationToken ct)
    {
        string? last = null;
        while (true)
        {
            JsonElement cluster;
            try
            {
                (cluster, _) = await client.GetAsync("/api/cluster", ct).ConfigureAwait(false);
            }
            catch (PbmException) when (self)
            {
                if (!json) await kit.Output.WriteLineAsync($"{name} has left the cluster and stopped").ConfigureAwait(false);
                return PbmApp.Ok;
            }
            var member = cluster.GetProperty("nodes").EnumerateArray().FirstOrDefault(n => n.GetProperty("name").GetString() == name);
            if (member.ValueKind != JsonValueKind.Object)
            {
                if (!json)
                {
                    await kit.Output.WriteLineAsync($"{name} has left the cluster").ConfigureAwait(false);
                    Views.ClusterShow(kit.Console, cluster);
                }
                return PbmApp.Ok;
            }
            var now = $"{name}: {member.GetProperty("state").GetString()}, {member.GetProperty("shards").GetInt32().ToString(CultureInfo.InvariantCulture)} shards";
            if (now != last && !json) await kit.Output.WriteLineAsync(now).ConfigureAwait(false);
            last = now;
            await Task.Delay(TimeSpan.FromMilliseconds(500), ct).ConfigureAwait(false);
        }
    }
}
