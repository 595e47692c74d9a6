using System.Text;
using Microsoft.Data.Sqlite;
using MtaCluster.Actors.Sharding;
using MtaCluster.Testing;

namespace MtaCluster.Node.Tests.EndToEnd;

/// <summary>
/// A single node (SQLite) whose domains.yaml starts listing queued domains under an MX pattern: the
/// restart re-files their rows under the group's shard, and the next start, which checks the queued
/// rows against the placement, accepts them and delivers every message.
/// </summary>
public sealed class PlacementChangeEndToEndTests : IDisposable
{
    private const int Messages = 10;
    private const int Domains = 5;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private readonly string _dir = Directory.CreateTempSubdirectory("mta-placement-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Mail_queued_before_its_domains_were_listed_is_re_filed_at_restart_and_delivered()
    {
        var receiver = new SmtpDialogue();
        await using var peer = new ScriptedPeer(receiver);
        var dataDir = Path.Combine(_dir, "data");
        Directory.CreateDirectory(dataDir);
        var spool = Path.Combine(dataDir, "spool.db");
        var domainsFile = Path.Combine(_dir, "domains.yaml");
        var port = FreePort.Next();
        var listed = string.Join(", ", Enumerable.Range(0, Domains).Select(d => $"d{d}.listed.test"));
        var withList = $"mx-patterns:\n  - name: rollup\n    match: [\"*.mx.rollup.test\"]\n    max-connections: 2\n    domains: [{listed}]\n";

        // 1. Placed by name, held: the mail stays queued under each domain's own shard.
        await NodeConfig.WriteRouteToAsync(domainsFile, peer.EndPoint.Port);
        await using (var node = await StartAsync(port, domainsFile, hold: true))
        {
            await SubmitAsync(port);
            await StopAsync(node);
        }
        Assert.Equal(Messages, Query(spool, $"SELECT COUNT(*) FROM recipients WHERE shard = {ShardHash.ShardOf("d0.listed.test", 1024)} AND domain = 'd0.listed.test'") * Domains);

        // 2. Listed, still held: the start re-files every queued row of the listed domains.
        await NodeConfig.WriteRouteToAsync(domainsFile, peer.EndPoint.Port, withList);
        await using (var node = await StartAsync(port, domainsFile, hold: true))
        {
            await node.WaitForOutputAsync($"re-filed {Messages} queued recipients of {Domains} domains", Wait);
            await StopAsync(node);
        }
        Assert.Equal(Messages, Query(spool, $"SELECT COUNT(*) FROM recipients WHERE shard = {ShardHash.ShardOf("mx:rollup", 1024)}"));

        // 3. The same list, released: the rows agree with the placement and every message is delivered.
        await using (var node = await StartAsync(port, domainsFile, hold: false))
        {
            await Poll.UntilAsync(() => { lock (receiver.Messages) return receiver.Messages.Count >= Messages; }, Wait, $"every message delivered:{Environment.NewLine}{node.OutputText}");
            await Poll.UntilAsync(() => Query(spool, "SELECT COUNT(*) FROM recipients") == 0, Wait, "the delivered mail removed");
            Assert.DoesNotContain("re-filed", node.OutputText);
            await StopAsync(node);
        }
        lock (receiver.Messages) Assert.Equal(Messages, receiver.Messages.Count);
    }

    private async Task<NodeProcess> StartAsync(int port, string domainsFile, bool hold)
    {
        var config = await NodeConfig.WriteRelayNodeAsync(Path.Combine(_dir, "node.yaml"), Path.Combine(_dir, "data"), port,
            $"Delivery:\n  DomainsFile: {domainsFile}\n  Hold: {(hold ? "true" : "false")}\n");
        var node = NodeProcess.Start(_dir, ["--config", config]);
        await node.WaitForOutputAsync("SMTP listener relay", Wait);
        return node;
    }

    private static async Task StopAsync(NodeProcess node)
    {
        node.Signal(NodeProcess.SIGTERM);
        var exit = await node.WaitForExitAsync(Wait);
        Assert.True(exit == 0, node.OutputText);
    }

    private static async Task SubmitAsync(int port)
    {
        using var timeout = new CancellationTokenSource(Wait);
        await using var smtp = await LineSmtpClient.ConnectAsync(port, timeout.Token);
        await smtp.CommandAsync("EHLO client.example.com", timeout.Token);
        for (var n = 0; n < Messages; n++)
        {
            var to = $"user{n}@d{n % Domains}.listed.test";
            var content = Encoding.ASCII.GetBytes($"From: <app@example.com>\r\nTo: <{to}>\r\nSubject: placed {n}\r\n\r\nmessage {n}\r\n");
            Assert.StartsWith("250", await smtp.SendAsync("app@example.com", [to], content, timeout.Token));
        }
    }

    private static long Query(string spool, string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = spool, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar());
    }
}
