using System.Text.Json;
using MtaCluster.Testing;

namespace MtaCluster.Cmd.Tests;

// The control plane in a cluster: what each node publishes for the others, the leader, the owner of a
// shard as both nodes see it, down refused for a live node, and the leave of one node through the other.
public sealed partial class PbmClusterTests
{
    private static JsonElement Member(JsonElement cluster, string name) =>
        cluster.GetProperty("nodes").EnumerateArray().Single(n => n.GetProperty("name").GetString() == name);

    /// <summary>
    /// <c>events tail --all</c> asked of n1 streams n2's records too, from the admin address n2 publishes:
    /// mail accepted by n1 for a domain n2 owns is attempted (and deferred) by n2 alone.
    /// </summary>
    private static async Task EventsFromEveryNodeAsync(string admin1, int smtp1)
    {
        string? domain = null;
        for (var i = 0; domain is null; i++)
        {
            Assert.True(i < 500, "no domain of d0.test to d499.test is owned by n2");
            var owner = JsonDocument.Parse((await PbmAsync(admin1, "cluster-sharding", "shard-owner", $"d{i}.test", "--json")).Output).RootElement;
            if (owner.GetProperty("owner").GetString() == "n2") domain = $"d{i}.test";
        }

        var screen = new StringWriter();
        var output = TextWriter.Synchronized(screen);
        var errors = new StringWriter();
        var error = TextWriter.Synchronized(errors);
        // A synchronized writer locks itself while it writes.
        string Read(TextWriter writer, StringWriter inner)
        {
            lock (writer) return inner.ToString();
        }
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(180));
        var app = new PbmApp(new StringReader(""), output, error, _ => null, Path.GetTempPath());
        var tail = app.RunAsync([admin1, "mta", "events", "tail", "--all", "--domain", domain, "--token", Token], stop.Token);
        await Poll.UntilAsync(() => Task.FromResult(tail.IsCompleted || Read(error, errors).Contains("tailing events from ")), TimeSpan.FromSeconds(60), "the tail under way");
        Assert.False(tail.IsCompleted, Read(error, errors));
        var from = Read(error, errors);
        Assert.Contains("n1", from);
        Assert.Contains("n2", from);

        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        await using (var client = await LineSmtpClient.ConnectAsync(smtp1, timeout.Token))
        {
            await client.CommandAsync("EHLO app.example.com", timeout.Token);
            await client.SendAsync("app@example.com", [$"x@{domain}"], System.Text.Encoding.ASCII.GetBytes("From: <app@example.com>\r\nSubject: tail\r\n\r\nwatched\r\n"), timeout.Token);
        }
        await Poll.UntilAsync(() => Task.FromResult(Read(output, screen).Split('\n').Any(l => l.StartsWith("[n2] ", StringComparison.Ordinal)
            && l.Contains($"deferred   x@{domain}", StringComparison.Ordinal))), TimeSpan.FromSeconds(60), $"n2's deferral of x@{domain} in n1's tail");
        await stop.CancelAsync();
        Assert.Equal(PbmApp.Ok, await tail);
    }

    private async Task ControlPlaneAsync(string admin1, string admin2, int smtp1)
    {
        // Each node's heartbeat publishes its admin address and entities: either node shows both for the other.
        await Poll.UntilAsync(async () =>
        {
            var from1 = await PbmAsync(admin1, "cluster", "show", "--json");
            var from2 = await PbmAsync(admin2, "cluster", "show", "--json");
            if (from1.Code != 0 || from2.Code != 0) return false;
            var n2 = Member(JsonDocument.Parse(from1.Output).RootElement, "n2");
            var n1 = Member(JsonDocument.Parse(from2.Output).RootElement, "n1");
            return n2.GetProperty("admin_address").GetString() == admin2 && n2.GetProperty("entities").ValueKind == JsonValueKind.Number
                && n1.GetProperty("admin_address").GetString() == admin1 && n1.GetProperty("entities").ValueKind == JsonValueKind.Number;
        }, TimeSpan.FromSeconds(60), "each node's admin address and entities shown by the other");
        var show = await PbmAsync(admin1, "cluster", "show");
        Assert.Single(show.Output.Split('\n'), l => l.StartsWith($"n2 ({admin2}) | up | ", StringComparison.Ordinal) && l.Contains(" entities | ", StringComparison.Ordinal)
            && !l.Contains("| - entities", StringComparison.Ordinal));

        // The oldest member coordinates; both nodes read the same lease.
        var leader1 = await PbmAsync(admin1, "cluster", "leader");
        var leader2 = await PbmAsync(admin2, "cluster", "leader");
        Assert.True(leader1.Code == 0, leader1.Error);
        Assert.StartsWith($"Leader: n1 ({admin1}) | coordinator epoch ", leader1.Output);
        Assert.StartsWith($"Leader: n1 ({admin1})", leader2.Output);

        // A domain's shard and its owner by lease: the same answer from either node.
        var owner1 = JsonDocument.Parse((await PbmAsync(admin1, "cluster-sharding", "shard-owner", "one.test", "--json")).Output).RootElement;
        var owner2 = JsonDocument.Parse((await PbmAsync(admin2, "cluster-sharding", "shard-owner", "one.test", "--json")).Output).RootElement;
        Assert.Equal(owner1.GetProperty("shard").GetInt32(), owner2.GetProperty("shard").GetInt32());
        Assert.Equal(owner1.GetProperty("owner").GetString(), owner2.GetProperty("owner").GetString());
        Assert.Contains(owner1.GetProperty("owner").GetString(), new[] { "n1", "n2" });
        Assert.Equal(owner1.GetProperty("owner").GetString() == "n1" ? admin1 : admin2, owner2.GetProperty("owner_admin_address").GetString());
        Assert.Equal("n1", owner1.GetProperty("answered_by").GetString());
        var stats = JsonDocument.Parse((await PbmAsync(admin2, "cluster-sharding", "region-stats", "-r", "domain", "--json")).Output).RootElement;
        Assert.Equal(Shards, stats.GetProperty("members").EnumerateArray().Sum(m => m.GetProperty("shards").GetArrayLength()));

        await EventsFromEveryNodeAsync(admin1, smtp1);

        // A node still heartbeating is not downed: that is what leave is for.
        var down = await PbmAsync(admin1, "cluster", "down", "n2");
        Assert.Equal(1, down.Code);
        Assert.Contains("still heartbeating", down.Error);
        Assert.Contains("cluster leave n2", down.Error);

        // n2 leaves through n1: it hands its shards off and exits 0; n1 then owns every shard.
        var leave = await PbmAsync(admin1, "cluster", "leave", "n2");
        Assert.True(leave.Code == 0, leave.Error + leave.Output);
        Assert.Contains("n2 asked to leave", leave.Output);
        Assert.Contains("n2 has left the cluster", leave.Output);
        Assert.Equal(0, await _nodes[1].WaitForExitAsync(TimeSpan.FromSeconds(60)));
        await Poll.UntilAsync(async () =>
        {
            var (code, output, _) = await PbmAsync(admin1, "cluster", "show");
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return code == 0 && lines.Length == 2 && lines[0].StartsWith($"n1 ({admin1}) | up | {Shards} shards | ", StringComparison.Ordinal) && lines[1] == "Count: 1 nodes";
        }, TimeSpan.FromSeconds(60), "n1 alone, up, with every shard");
    }
}
