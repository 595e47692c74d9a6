using Microsoft.Data.Sqlite;
using MtaCluster.Smtp.Auth;
using MtaCluster.Testing;

namespace MtaCluster.Node.Tests.EndToEnd;

/// <summary>
/// SIGHUP re-reads node.yaml's Tenants: which tenant an AUTH user submits as, its default lane and
/// its hourly limit change for the next message, the log names each change, and a Tenants section
/// the node would not start with is refused with the one in force kept.
/// </summary>
public sealed class TenantReloadEndToEndTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private readonly string _dir = Directory.CreateTempSubdirectory("mta-tenant-reload-").FullName;
    private readonly string _hash = PasswordHasher.Hash(AuthenticatedSubmitter.Password, 1000);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string DataDir => Path.Combine(_dir, "data");

    private Task<string> WriteConfigAsync(int port, string domains, string tenants) =>
        NodeConfig.WriteRelayNodeAsync(Path.Combine(_dir, "node.yaml"), DataDir, port, $"""
              Auth:
                Users:
                  app1: "{_hash}"
                  app2: "{_hash}"
            Delivery:
              DomainsFile: {domains}
            Tenants:
            {tenants}
            """);

    [Fact]
    public async Task A_reloaded_Tenants_section_applies_to_the_next_message_and_a_bad_one_is_refused()
    {
        await using var sink = await SmtpSink.StartAsync(dump: true);
        var port = FreePort.Next();
        var domains = await NodeConfig.WriteRouteToAsync(Path.Combine(_dir, "domains.yaml"), sink.EndPoint.Port);
        var config = await WriteConfigAsync(port, domains, """
              acme:
                Users: [app1]
                DefaultLane: bulk
            """);
        await using var node = NodeProcess.Start(_dir, ["--config", config]);
        await node.WaitForOutputAsync("SMTP listener relay", Wait);

        Assert.Equal(new[] { 250 }, await AuthenticatedSubmitter.SendAsync(_dir, port, "app1", "user@example.net", "before"));
        var before = await WaitForAccountingAsync(1);
        Assert.Contains("\"tenant\":\"acme\"", before[0]);
        Assert.Contains("\"lane\":\"bulk\"", before[0]);

        // app1 moves to a new tenant, transactional by default and limited to one message an hour.
        await WriteConfigAsync(port, domains, """
              shop:
                Users: [app1]
                Weight: 3
                DefaultLane: transactional
                MaxMessagesPerHour: 1
            """);
        node.Signal(NodeProcess.SIGHUP);
        await node.WaitForOutputAsync("tenants reloaded:", Wait);
        var summary = Assert.Single(node.Output, l => l.Contains("tenants reloaded:", StringComparison.Ordinal));
        Assert.Contains("acme removed, shop added (weight 3, default lane transactional, max-messages-per-hour 1), user app1 acme -> shop", summary);
        Assert.DoesNotContain(node.Output, l => l.Contains("takes effect only after a restart", StringComparison.Ordinal) && l.Contains("Tenants:", StringComparison.Ordinal));

        Assert.Equal(new[] { 250, 250, 250 }, await AuthenticatedSubmitter.SendAsync(_dir, port, "app1", "user@example.net", "after-0", "after-1", "after-2"));
        var after = (await WaitForAccountingAsync(2)).Except(before).ToArray();
        var record = Assert.Single(after);
        Assert.Contains("\"tenant\":\"shop\"", record);
        Assert.Contains("\"lane\":\"transactional\"", record);
        // The hourly limit of the reloaded tenant holds the other two back, queued in its transactional lane.
        var spool = Path.Combine(DataDir, "spool.db");
        Assert.Equal(2, Query(spool, "SELECT COUNT(*) FROM recipients WHERE tenant = 'shop' AND lane = 1 AND state = 0"));

        // Sections the node would not start with: each refused, naming the key; the tenants in force stay.
        (string Tenants, string Named)[] bad =
        [
            ("  shop:\n    Users: [app1]\n    Weight: 0\n", "Tenants:shop:Weight"),
            ("  shop:\n    Users: [app1]\n  beta:\n    Users: [app1]\n", "app1"),
            ("  shop:\n    DefaultLane: urgent\n", "Tenants:shop:DefaultLane"),
        ];
        for (var i = 0; i < bad.Length; i++)
        {
            await WriteConfigAsync(port, domains, bad[i].Tenants);
            node.Signal(NodeProcess.SIGHUP);
            await Poll.UntilAsync(() => node.Output.Count(l => l.Contains("node configuration reload refused", StringComparison.Ordinal)) > i, Wait,
                $"refusal {i + 1}:{Environment.NewLine}{node.OutputText}");
            var refusal = node.Output.Where(l => l.Contains("node configuration reload refused", StringComparison.Ordinal)).ElementAt(i);
            Assert.Contains(bad[i].Named, refusal);
        }
        Assert.Single(node.Output, l => l.Contains("tenants reloaded:", StringComparison.Ordinal));
        // Still shop's: its limit holds this one back too.
        Assert.Equal(new[] { 250 }, await AuthenticatedSubmitter.SendAsync(_dir, port, "app1", "user@example.net", "after-refusals"));
        Assert.Equal(3, Query(spool, "SELECT COUNT(*) FROM recipients WHERE tenant = 'shop' AND lane = 1 AND state = 0"));

        node.Signal(NodeProcess.SIGTERM);
        Assert.Equal(0, await node.WaitForExitAsync(Wait));
    }

    private async Task<string[]> WaitForAccountingAsync(int count)
    {
        var accounting = Path.Combine(DataDir, "accounting");
        string[] lines = [];
        await Poll.UntilAsync(() =>
        {
            lines = Directory.Exists(accounting) ? Directory.GetFiles(accounting).SelectMany(File.ReadAllLines).ToArray() : [];
            return lines.Length >= count;
        }, Wait, $"{count} accounting records");
        return lines;
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
