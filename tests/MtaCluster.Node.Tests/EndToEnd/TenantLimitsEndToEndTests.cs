using Microsoft.Data.Sqlite;
using MtaCluster.Smtp.Auth;
using MtaCluster.Testing;

namespace MtaCluster.Node.Tests.EndToEnd;

/// <summary>
/// Per-tenant limits through a running node: a tenant's own MaxMessagesPerHour (node.yaml) and its
/// max-messages-per-minute at one domain (domains.yaml) hold its mail back beyond the limit, while a
/// third tenant's mail to the same domain flows. The held mail stays queued in the spool.
/// </summary>
public sealed class TenantLimitsEndToEndTests : IDisposable
{
    private const int Each = 5;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private readonly string _dir = Directory.CreateTempSubdirectory("mta-tenant-limits-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Tenants_over_their_limits_wait_in_the_queue_while_another_tenants_mail_to_the_domain_flows()
    {
        await using var sink = await SmtpSink.StartAsync(dump: true);
        var port = FreePort.Next();
        // Both limits are token buckets that start full with their burst: one message each (a rate of
        // 1 per hour or per minute holds a burst of 1), and the next token not for a minute or an hour.
        var domains = await NodeConfig.WriteRouteToAsync(Path.Combine(_dir, "domains.yaml"), sink.EndPoint.Port,
            "domains:\n  example.net:\n    tenants:\n      shop: { max-messages-per-minute: 1 }\n");
        var hash = PasswordHasher.Hash(AuthenticatedSubmitter.Password, 1000);
        var dataDir = Path.Combine(_dir, "data");
        var config = await NodeConfig.WriteRelayNodeAsync(Path.Combine(_dir, "node.yaml"), dataDir, port, $"""
              Auth:
                Users:
                  app-acme: "{hash}"
                  app-shop: "{hash}"
                  app-free: "{hash}"
            Delivery:
              DomainsFile: {domains}
            Tenants:
              acme:
                Users: [app-acme]
                MaxMessagesPerHour: 1
              shop:
                Users: [app-shop]
              free:
                Users: [app-free]
            """);
        // From before the node starts, so it bounds the age of shop's bucket from above.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await using var node = NodeProcess.Start(_dir, ["--config", config]);
        await node.WaitForOutputAsync("SMTP listener relay", Wait);

        foreach (var tenant in new[] { "acme", "shop", "free" })
        {
            var codes = await AuthenticatedSubmitter.SendAsync(_dir, port, $"app-{tenant}", "user@example.net",
                Enumerable.Range(0, Each).Select(i => $"{tenant}-{i}").ToArray());
            Assert.Equal(Enumerable.Repeat(250, Each), codes);
        }

        await WaitForArrivalsAsync(sink, Each + 2, node);
        // One more of the free tenant's, sent and delivered after the rest: by then the domain has gone
        // round its tenants again, and still nothing more of the limited two has left.
        var last = await AuthenticatedSubmitter.SendAsync(_dir, port, "app-free", "user@example.net", "free-last");
        Assert.Equal([250], last);
        await WaitForArrivalsAsync(sink, Each + 3, node);

        var subjects = Directory.GetFiles(sink.DumpDirectory!).Select(File.ReadAllText)
            .Select(d => d.Split('\n').First(l => l.StartsWith("Subject: ", StringComparison.Ordinal))["Subject: ".Length..].Trim()).ToArray();
        Assert.Equal(Each + 1, subjects.Count(s => s.StartsWith("free-", StringComparison.Ordinal)));
        Assert.Equal(1, subjects.Count(s => s.StartsWith("acme-", StringComparison.Ordinal)));
        // A token a minute: a machine slow enough to take minutes over this test earns shop one more each.
        var shopSent = subjects.Count(s => s.StartsWith("shop-", StringComparison.Ordinal));
        Assert.InRange(shopSent, 1, 1 + (int)clock.Elapsed.TotalMinutes);

        // The rest wait in the spool, queued and untried: nothing failed, nothing was bounced.
        var spool = Path.Combine(dataDir, "spool.db");
        Assert.Equal(Each - 1, Query(spool, "SELECT COUNT(*) FROM recipients WHERE tenant = 'acme' AND state = 0 AND attempts = 0"));
        Assert.Equal(Each - shopSent, Query(spool, "SELECT COUNT(*) FROM recipients WHERE tenant = 'shop' AND state = 0 AND attempts = 0"));
        Assert.Equal(0, Query(spool, "SELECT COUNT(*) FROM recipients WHERE tenant = 'free' AND state = 0"));
        Assert.Equal(0, Query(spool, "SELECT COUNT(*) FROM messages WHERE reverse_path = ''"));

        node.Signal(NodeProcess.SIGTERM);
        Assert.Equal(0, await node.WaitForExitAsync(Wait));
    }

    private static Task WaitForArrivalsAsync(SmtpSink sink, int count, NodeProcess node) =>
        Poll.UntilAsync(() => Directory.GetFiles(sink.DumpDirectory!).Length >= count, Wait,
            $"{count} messages at the receiver:{Environment.NewLine}{node.OutputText}");

    private static long Query(string spool, string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = spool, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar());
    }
}
