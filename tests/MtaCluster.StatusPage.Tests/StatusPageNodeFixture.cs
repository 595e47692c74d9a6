using System.Text;
using MtaCluster.Storage;
using MtaCluster.Storage.Sqlite;
using MtaCluster.Testing;

namespace MtaCluster.StatusPage.Tests;

/// <summary>
/// One real node for the status page's tests, with mail that stays queued (its route is a loopback
/// port nobody listens on, so every attempt is deferred): big.test and small.test queued, held.test
/// suspended with mail waiting, and a suspension of ended.test whose end has passed. The suspensions
/// are written into the spool before the node starts, as an operator's earlier suspend would have left them.
/// </summary>
public sealed class StatusPageNodeFixture : IAsyncLifetime
{
    public const string NodeName = "status-node";
    public const string HeldReason = "receiver asked us to slow down";

    private int _smtpPort;

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("status-page-").FullName;

    public NodeProcess Node { get; private set; } = null!;

    public Uri BaseAddress { get; private set; } = null!;

    public string Token { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var data = Path.Combine(Directory, "data");
        await using (var store = new SqliteQueueStore(new SqliteQueueStoreOptions { DatabasePath = SqliteQueueStoreOptions.ForDataDirectory(data).DatabasePath }))
        {
            await store.InitializeAsync();
            var now = DateTimeOffset.UtcNow;
            await store.SuspendDomainAsync(new DomainSuspension("held.test", now, now.AddDays(1), HeldReason));
            await store.SuspendDomainAsync(new DomainSuspension("ended.test", now.AddHours(-2), now.AddHours(-1), "over"));
        }

        _smtpPort = FreePort.Next();
        var admin = $"127.0.0.1:{FreePort.Next()}";
        BaseAddress = new Uri($"http://{admin}/");
        var domains = await NodeConfig.WriteRouteToAsync(Path.Combine(Directory, "domains.yaml"), FreePort.Next());
        var config = await NodeConfig.WriteRelayNodeAsync(Path.Combine(Directory, "node.yaml"), data, _smtpPort, $"""
            Delivery:
              DomainsFile: {domains}
            """);
        Node = NodeProcess.Start(Directory, ["--config", config], new Dictionary<string, string>
        {
            [NodeProcess.AdminListenVariable] = admin,
            ["MTA_Node__Name"] = NodeName,
        });
        await Node.WaitForOutputAsync("Admin endpoint listening on", TimeSpan.FromSeconds(60));
        await Node.WaitForOutputAsync("SMTP listener relay", TimeSpan.FromSeconds(60));
        Token = (await File.ReadAllTextAsync(Path.Combine(data, "admin.token"))).Trim();
        await SendAsync(["a@big.test", "b@big.test", "c@small.test"]);
        await SendAsync(["d@big.test", "e@held.test"]);
    }

    /// <summary>Submits one message to <paramref name="recipients"/> over SMTP; answered 250, it is in the spool.</summary>
    public async Task SendAsync(IReadOnlyList<string> recipients)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var client = await LineSmtpClient.ConnectAsync(_smtpPort, timeout.Token);
        await client.CommandAsync("EHLO app.example.com", timeout.Token);
        var content = Encoding.ASCII.GetBytes("From: <app@example.com>\r\nSubject: status page\r\n\r\nstays queued\r\n");
        var reply = await client.SendAsync("app@example.com", recipients, content, timeout.Token);
        if (!reply.StartsWith("250", StringComparison.Ordinal)) throw new IOException($"end of data: {reply}");
        await client.CommandAsync("QUIT", timeout.Token);
    }

    public async Task DisposeAsync()
    {
        await Node.DisposeAsync();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
