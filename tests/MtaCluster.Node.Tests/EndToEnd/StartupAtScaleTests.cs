using System.Text;
using MtaCluster.Actors.Sharding;
using MtaCluster.Storage;
using MtaCluster.Storage.Sqlite;
using MtaCluster.Testing;
using Xunit.Abstractions;

namespace MtaCluster.Node.Tests.EndToEnd;

/// <summary>
/// A node restarted on a large queue with delivery on: it listens first and recovers behind the
/// listeners, with no more domains delivering at once than its cap, and every queued domain is
/// woken in the end.
/// </summary>
public sealed class StartupAtScaleTests(ITestOutputHelper output) : IDisposable
{
    private const int Messages = 10_000;
    private const int RecipientsPerMessage = 10;
    private const int Domains = 1_000;

    private readonly string _dir = Directory.CreateTempSubdirectory("mta-scale-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Listeners_answer_before_recovery_and_every_queued_domain_is_delivered()
    {
        var dataDir = Path.Combine(_dir, "data");
        await FillSpoolAsync(dataDir);

        await using var sink = await SmtpSink.StartAsync();
        var port = FreePort.Next();
        var domains = await NodeConfig.WriteRouteToAsync(Path.Combine(_dir, "domains.yaml"), sink.EndPoint.Port, "  max-connections: 2\n");
        var config = await NodeConfig.WriteRelayNodeAsync(Path.Combine(_dir, "node.yaml"), dataDir, port, $"""
            Delivery:
              DomainsFile: {domains}
              MaxActiveDomains: 50
              ConnectionIdleTimeout: 00:00:00.100
            """);

        await using var node = NodeProcess.Start(_dir, ["--config", config]);
        await node.WaitForOutputAsync("SMTP listener relay", TimeSpan.FromSeconds(60));
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        await using (var client = await LineSmtpClient.ConnectAsync(port, timeout.Token))
        {
            Assert.StartsWith("250", await client.CommandAsync("EHLO operator.example.com", timeout.Token));
        }

        await node.WaitForOutputAsync("recovery finished", TimeSpan.FromSeconds(60));
        var lines = node.Output.ToList();
        var listening = lines.FindIndex(l => l.Contains("SMTP listener relay", StringComparison.Ordinal));
        var recovering = lines.FindIndex(l => l.Contains("recovering queued mail behind the listeners", StringComparison.Ordinal));
        var recovered = lines.FindIndex(l => l.Contains("recovery finished", StringComparison.Ordinal));
        Assert.True(listening >= 0 && listening < recovering && recovering < recovered, string.Join(System.Environment.NewLine, lines.Take(200)));
        Assert.Contains($"recovery finished: {Domains} domains have queued mail", lines[recovered]);

        // Every recovered domain is woken and delivers, through a cap of 50 active at a time.
        await using (var store = new SqliteQueueStore(SqliteQueueStoreOptions.ForDataDirectory(dataDir)))
        {
            await store.InitializeAsync();
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
            QueueStatistics statistics;
            // Delivered mail is removed once all its recipients are final, so an empty spool is the end.
            while ((statistics = await store.GetStatisticsAsync()).Messages > 0)
            {
                Assert.True(DateTime.UtcNow < deadline, $"still {statistics.Messages} messages, {statistics.Pending} pending:{System.Environment.NewLine}{string.Join(System.Environment.NewLine, node.Output.TakeLast(50))}");
                await Task.Delay(500);
            }
        }
        // Every recipient was delivered: a failure would have left a DSN behind, and its log line.
        var finished = node.Output.Where(l => l.Contains(": finished (", StringComparison.Ordinal)).ToArray();
        output.WriteLine($"{finished.Length} messages finished");
        Assert.Equal(Messages, finished.Length);
        Assert.All(finished, l => Assert.Contains("(all recipients delivered)", l));
        Assert.DoesNotContain(node.Output, l => l.Contains("failure DSN", StringComparison.Ordinal));

        node.Signal(NodeProcess.SIGTERM);
        Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    /// <summary>Writes the queue straight into the spool, as a node with delivery held would have left it.</summary>
    private async Task FillSpoolAsync(string dataDir)
    {
        await using var store = new SqliteQueueStore(SqliteQueueStoreOptions.ForDataDirectory(dataDir));
        await store.InitializeAsync();
        var receivedAt = DateTimeOffset.UtcNow.AddMinutes(-1);
        var body = Encoding.ASCII.GetBytes("From: <app@example.com>\r\nSubject: queued before the restart\r\n\r\nbacklog\r\n");
        var pending = new List<Task>();
        for (var m = 0; m < Messages; m++)
        {
            var domain = $"d{m % Domains:D4}.example";
            var shard = ShardHash.ShardOf(domain, 1024);
            var recipients = Enumerable.Range(0, RecipientsPerMessage).Select(r => new SpoolRecipient($"u{m}-{r}@{domain}", domain, shard)).ToArray();
            pending.Add(store.EnqueueAsync(new SpoolMessage(QueueId.New(), "app@example.com", recipients, body, receivedAt)));
            if (pending.Count == 1000)
            {
                await Task.WhenAll(pending);
                pending.Clear();
            }
        }
        await Task.WhenAll(pending);
        var statistics = await store.GetStatisticsAsync();
        Assert.Equal(Messages * RecipientsPerMessage, statistics.Pending);
    }
}
