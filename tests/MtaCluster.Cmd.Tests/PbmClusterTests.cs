using System.Text;
using System.Text.Json;
using MtaCluster.Testing;

namespace MtaCluster.Cmd.Tests;

/// <summary>
/// Two nodes on one PostgreSQL spool: either one answers for the whole cluster, with a line per
/// member and the shards each owns, and the queue of mail accepted by the other, and either one acts
/// on a message whatever node owns it.
/// </summary>
public sealed partial class PbmClusterTests : IAsyncLifetime
{
    private const int Shards = 32;
    private const string Token = "cluster-admin-token";

    private readonly string _dir = Directory.CreateTempSubdirectory("pbm-cluster-").FullName;
    private readonly List<NodeProcess> _nodes = [];
    private PostgresServer _postgres = null!;
    private string _connectionString = "";

    public async Task InitializeAsync()
    {
        _postgres = await PostgresServer.StartNewAsync();
        _connectionString = await _postgres.CreateDatabaseAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes) await node.DisposeAsync();
        await _postgres.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<(string Admin, int Smtp)> StartAsync(string name, string domains)
    {
        var smtp = FreePort.Next();
        var admin = $"127.0.0.1:{FreePort.Next()}";
        var config = await NodeConfig.WriteRelayNodeAsync(Path.Combine(_dir, $"{name}.yaml"), Path.Combine(_dir, name), smtp, $"""
            Sharding:
              MaxShards: {Shards}
            Spool:
              Provider: PostgreSql
              ConnectionString: "{_connectionString}"
            Cluster:
              FailureTimeout: 00:00:06
              HeartbeatInterval: 00:00:00.500
            Delivery:
              DomainsFile: {domains}
            """);
        var node = NodeProcess.Start(_dir, ["--config", config], new Dictionary<string, string>
        {
            ["MTA_Node__Name"] = name,
            [NodeProcess.AdminListenVariable] = admin,
            ["MTA_Admin__Token"] = Token,
        });
        _nodes.Add(node);
        await node.WaitForOutputAsync("Admin endpoint listening on", TimeSpan.FromSeconds(90));
        return (admin, smtp);
    }

    private static async Task<(int Code, string Output, string Error)> PbmAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var app = new PbmApp(new StringReader(""), output, error, _ => null, Path.GetTempPath());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var code = await app.RunAsync([.. args, "--token", Token], timeout.Token);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Either_node_shows_every_member_with_its_shards_the_whole_clusters_queue_and_acts_on_any_message()
    {
        // Nothing listens on the route's port: the mail stays queued.
        var domains = await NodeConfig.WriteRouteToAsync(Path.Combine(_dir, "domains.yaml"), FreePort.Next());
        var (admin1, smtp1) = await StartAsync("n1", domains);
        var (admin2, _) = await StartAsync("n2", domains);

        // Settled: both up, every shard owned, shared between them.
        JsonElement cluster = default;
        await Poll.UntilAsync(async () =>
        {
            var (code, output, _) = await PbmAsync(admin2, "cluster", "show", "--json");
            if (code != 0) return false;
            cluster = JsonDocument.Parse(output).RootElement.Clone();
            var nodes = cluster.GetProperty("nodes").EnumerateArray().ToList();
            // Balanced, not merely shared: until then the coordinator goes on moving shards, and one in hand-off is owned by nobody.
            return nodes.Count == 2 && nodes.All(n => n.GetProperty("state").GetString() == "up" && n.GetProperty("shards").GetInt32() > 0)
                && nodes.Sum(n => n.GetProperty("shards").GetInt32()) == Shards
                && Math.Abs(nodes[0].GetProperty("shards").GetInt32() - nodes[1].GetProperty("shards").GetInt32()) <= 1;
        }, TimeSpan.FromSeconds(90), "two nodes up sharing every shard evenly");
        Assert.Equal("postgresql", cluster.GetProperty("store").GetString());
        var self = cluster.GetProperty("nodes").EnumerateArray().Single(n => n.GetProperty("self").GetBoolean());
        Assert.Equal("n2", self.GetProperty("name").GetString());
        Assert.Equal(admin2, self.GetProperty("address").GetString());

        var show = await PbmAsync(admin1, "cluster", "show");
        Assert.Equal(0, show.Code);
        var lines = show.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(3, lines.Length);
        Assert.Single(lines, l => l.StartsWith($"n1 ({admin1}) | up | ", StringComparison.Ordinal));
        Assert.Single(lines, l => l.StartsWith("n2 (", StringComparison.Ordinal) && l.Contains(" | up | ", StringComparison.Ordinal));
        Assert.Equal("Count: 2 nodes", lines[2]);
        // A lease may still be moving between the two (a rebalance step after the settle above): wait for it.
        var status = await PbmAsync(admin1, "cluster", "status");
        await Poll.UntilAsync(async () => (status = await PbmAsync(admin1, "cluster", "status")).Output.Contains($"{Shards} of {Shards}"),
            TimeSpan.FromSeconds(60), "every shard owned, as n1 sees it");
        Assert.Contains("2 up of 2", status.Output);

        string id;
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        await using (var client = await LineSmtpClient.ConnectAsync(smtp1, timeout.Token))
        {
            await client.CommandAsync("EHLO app.example.com", timeout.Token);
            var content = Encoding.ASCII.GetBytes("From: <app@example.com>\r\nSubject: cluster\r\n\r\nqueued in the shared spool\r\n");
            var reply = await client.SendAsync("app@example.com", ["a@one.test", "b@two.test"], content, timeout.Token);
            id = reply[(reply.LastIndexOf(' ') + 1)..].Trim();
        }
        // Accepted by n1, seen from n2: the queue is the store's, not a node's.
        var summary = await PbmAsync(admin2, "mta", "queue", "summary", "--json");
        Assert.Equal(0, summary.Code);
        Assert.Equal(2, JsonDocument.Parse(summary.Output).RootElement.GetProperty("recipients").GetProperty("pending").GetInt64());

        // An operator's retry from each node in turn: whichever node owns a domain, one of the two asked
        // from the other one, and the owner made the attempt all the same (woken through the store).
        await Poll.UntilAsync(async () => (await AttemptsAsync(admin1, id)).All(a => a == 1), TimeSpan.FromSeconds(60), "the first deferrals");
        foreach (var (admin, attempts) in new[] { (admin1, 2), (admin2, 3) })
        {
            var retry = await PbmAsync(admin, "mta", "message", "retry", id, "--json");
            Assert.True(retry.Code == 0, retry.Error);
            Assert.Equal(2, JsonDocument.Parse(retry.Output).RootElement.GetProperty("recipients_due_now").GetInt32());
            await Poll.UntilAsync(async () => (await AttemptsAsync(admin1, id)).All(a => a == attempts), TimeSpan.FromSeconds(60), $"attempt {attempts} after the retry from {admin}");
        }
        // A bounce from n2: the message's owner finishes it, and the failure DSN to app@example.com is all that is queued.
        var bounce = await PbmAsync(admin2, "mta", "message", "bounce", id);
        Assert.True(bounce.Code == 0, bounce.Error);
        Assert.Contains($"{id}: 2 recipients bounced", bounce.Output);
        await Poll.UntilAsync(async () => (await PbmAsync(admin1, "mta", "message", "show", id)).Code == PbmApp.Failed, TimeSpan.FromSeconds(60), "the bounced message finished");
        var after = JsonDocument.Parse((await PbmAsync(admin1, "mta", "queue", "summary", "--json")).Output).RootElement;
        Assert.Equal((1, 1), (after.GetProperty("messages").GetInt64(), after.GetProperty("recipients").GetProperty("pending").GetInt64()));
        var top = JsonDocument.Parse((await PbmAsync(admin1, "mta", "queue", "top", "--json")).Output).RootElement;
        Assert.Equal(["example.com"], top.GetProperty("domains").EnumerateArray().Select(d => d.GetProperty("domain").GetString()));
        // Last: it ends with n2 leaving the cluster.
        await ControlPlaneAsync(admin1, admin2, smtp1);
    }

    private static async Task<int[]> AttemptsAsync(string admin, string id)
    {
        var (code, output, error) = await PbmAsync(admin, "mta", "message", "show", id, "--json");
        Assert.True(code == 0, error);
        return JsonDocument.Parse(output).RootElement.GetProperty("recipients").EnumerateArray().Select(r => r.GetProperty("attempts").GetInt32()).ToArray();
    }
}
