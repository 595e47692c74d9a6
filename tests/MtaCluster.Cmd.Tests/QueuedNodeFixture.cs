using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using MtaCluster.Testing;

namespace MtaCluster.Cmd.Tests;

/// <summary>
/// One real node for a test class, with mail that stays queued: its route points at a loopback port
/// nobody listens on, so every attempt is deferred. Three recipients at big.test, one at small.test,
/// and the first attempt at big.test already recorded (its last error) before any test runs. Mail to
/// home.test alone is delivered, to <see cref="HomeSink"/>, which keeps what it receives: the DSNs of
/// tests' messages sent from an address there.
/// </summary>
public sealed class QueuedNodeFixture : IAsyncLifetime
{
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("pbm-").FullName;

    public NodeProcess Node { get; private set; } = null!;

    public string Endpoint { get; private set; } = "";

    /// <summary>Receives home.test's mail, each message kept as a file.</summary>
    public SmtpSink HomeSink { get; private set; } = null!;

    /// <summary>The node's relay listener.</summary>
    public int SmtpPort { get; private set; }

    public string Token { get; private set; } = "";

    /// <summary>The queue id of the message to a@big.test, b@big.test and c@small.test.</summary>
    public string MessageId { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var smtpPort = SmtpPort = FreePort.Next();
        var adminPort = FreePort.Next();
        Endpoint = $"127.0.0.1:{adminPort}";
        HomeSink = await SmtpSink.StartAsync(dump: true);
        var domains = await NodeConfig.WriteRouteToAsync(Path.Combine(Directory, "domains.yaml"), FreePort.Next(),
            $"domains:\n  home.test:\n    route: 127.0.0.1:{HomeSink.EndPoint.Port}\n    tls: none\n");
        var config = await NodeConfig.WriteRelayNodeAsync(Path.Combine(Directory, "node.yaml"), Path.Combine(Directory, "data"), smtpPort, $"""
            Delivery:
              DomainsFile: {domains}
            """);
        Node = NodeProcess.Start(Directory, ["--config", config], new Dictionary<string, string>
        {
            [NodeProcess.AdminListenVariable] = Endpoint,
            ["MTA_Node__Name"] = "pbm-node",
        });
        await Node.WaitForOutputAsync("Admin endpoint listening on", TimeSpan.FromSeconds(60));
        await Node.WaitForOutputAsync("SMTP listener relay", TimeSpan.FromSeconds(60));
        Token = (await File.ReadAllTextAsync(Path.Combine(Directory, "data", "admin.token"))).Trim();

        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        await using (var client = await LineSmtpClient.ConnectAsync(smtpPort, timeout.Token))
        {
            await client.CommandAsync("EHLO app.example.com", timeout.Token);
            var content = Encoding.ASCII.GetBytes("From: <app@example.com>\r\nSubject: pbm\r\n\r\nstays queued\r\n");
            var reply = await client.SendAsync("app@example.com", ["a@big.test", "b@big.test", "c@small.test"], content, timeout.Token);
            MessageId = reply[(reply.LastIndexOf(' ') + 1)..].Trim();
            await client.SendAsync("app@example.com", ["d@big.test"], content, timeout.Token);
        }

        using var http = new HttpClient { BaseAddress = new Uri($"http://{Endpoint}") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        await Poll.UntilAsync(async () =>
        {
            var top = JsonDocument.Parse(await http.GetStringAsync("/api/queue/top?n=1")).RootElement;
            return top.GetProperty("domains").GetArrayLength() == 1
                && top.GetProperty("domains")[0].GetProperty("last_error").ValueKind == JsonValueKind.String;
        }, TimeSpan.FromSeconds(60), "big.test's first deferral recorded");
    }

    /// <summary>The node's accounting log as it stands: every record, parsed.</summary>
    public IReadOnlyList<JsonElement> AccountingRecords()
    {
        var accounting = Path.Combine(Directory, "data", "accounting");
        if (!System.IO.Directory.Exists(accounting)) return [];
        // Read with sharing: the node has the file open for appending.
        return System.IO.Directory.GetFiles(accounting)
            .SelectMany(file =>
            {
                using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                using var reader = new StreamReader(stream);
                var text = reader.ReadToEnd();
                // A line the node is writing at this instant is not whole until its newline.
                return text[..(text.LastIndexOf('\n') + 1)].Split('\n', StringSplitOptions.RemoveEmptyEntries);
            })
            .Select(line => JsonDocument.Parse(line).RootElement.Clone())
            .ToList();
    }

    /// <summary>The accounting log's <c>removed</c> records of the domain.</summary>
    public IReadOnlyList<JsonElement> RemovedRecordsOf(string domain) =>
        AccountingRecords().Where(r => r.GetProperty("type").GetString() == "removed" && r.GetProperty("domain").GetString() == domain).ToList();

    public async Task DisposeAsync()
    {
        await Node.DisposeAsync();
        await HomeSink.DisposeAsync();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
