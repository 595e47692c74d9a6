using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using MtaCluster.Testing;

namespace MtaCluster.Node.Tests.Admin;

/// <summary>
/// /metrics of a real node after mail was delivered, bounced and deferred, judged by Python's
/// prometheus_client parser: every family well-formed, the counters counting what happened, the
/// queue's depth by state, and histograms whose buckets add up.
/// </summary>
public sealed class MetricsEndToEndTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mta-metrics-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<(NodeProcess Node, int SmtpPort, HttpClient Http)> StartAsync(int deliverPort, int bouncePort, bool publicMetrics = false)
    {
        var smtpPort = FreePort.Next();
        var adminPort = FreePort.Next();
        var domains = Path.Combine(_dir, "domains.yaml");
        // ok.test is delivered, bounce.test refused for good, and nothing listens for queued.test.
        await File.WriteAllTextAsync(domains, $"""
            default:
              route: 127.0.0.1:{deliverPort}
              tls: none
            domains:
              bounce.test:
                route: 127.0.0.1:{bouncePort}
              queued.test:
                route: 127.0.0.1:{FreePort.Next()}

            """);
        var config = await NodeConfig.WriteRelayNodeAsync(Path.Combine(_dir, "node.yaml"), Path.Combine(_dir, "data"), smtpPort, $"""
            Delivery:
              DomainsFile: {domains}
            Admin:
              PublicMetrics: {(publicMetrics ? "true" : "false")}
            """);
        var node = NodeProcess.Start(_dir, ["--config", config], new Dictionary<string, string> { [NodeProcess.AdminListenVariable] = $"127.0.0.1:{adminPort}" });
        await node.WaitForOutputAsync("Admin endpoint listening on", TimeSpan.FromSeconds(60));
        await node.WaitForOutputAsync("SMTP listener relay", TimeSpan.FromSeconds(60));
        return (node, smtpPort, new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{adminPort}"), Timeout = TimeSpan.FromSeconds(30) });
    }

    private string Token => File.ReadAllText(Path.Combine(_dir, "data", "admin.token")).Trim();

    private async Task<string> ScrapeAsync(HttpClient http)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        return await response.Content.ReadAsStringAsync();
    }

    private static double Value(JsonElement families, string family, string? label = null, string? labelValue = null) =>
        families.GetProperty(family).GetProperty("samples").EnumerateArray()
            .Where(s => label is null || (s.GetProperty("labels").TryGetProperty(label, out var v) && v.GetString() == labelValue))
            .Select(s => s.GetProperty("value").GetDouble())
            .Sum();

    [Fact]
    public async Task A_scrape_after_deliveries_bounces_and_deferrals_parses_strictly_and_counts_them()
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var refusing = await SmtpSink.StartAsync(false, "-f", "RCPT");
        var (node, smtpPort, http) = await StartAsync(sink.EndPoint.Port, refusing.EndPoint.Port);
        await using var running = node;
        using var httpClient = http;

        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        await using (var client = await LineSmtpClient.ConnectAsync(smtpPort, timeout.Token))
        {
            await client.CommandAsync("EHLO app.example.com", timeout.Token);
            var content = Encoding.ASCII.GetBytes("From: <app@example.com>\r\nSubject: metrics\r\n\r\ncounted\r\n");
            for (var i = 0; i < 3; i++) Assert.StartsWith("250", await client.SendAsync("app@example.com", [$"r{i}@ok.test"], content, timeout.Token));
            Assert.StartsWith("250", await client.SendAsync("app@example.com", ["nobody@bounce.test"], content, timeout.Token));
            Assert.StartsWith("250", await client.SendAsync("app@example.com", ["later@queued.test"], content, timeout.Token));
        }

        JsonElement families = default;
        await Poll.UntilAsync(async () =>
        {
            families = await PrometheusTextParser.ParseAsync(await ScrapeAsync(http));
            return Value(families, "mta_recipients_delivered") >= 3 && Value(families, "mta_recipients_bounced") >= 1
                && Value(families, "mta_recipients_deferred") >= 1 && Value(families, "mta_dsns_sent") >= 1;
        }, TimeSpan.FromSeconds(90), "three deliveries, a bounce with its DSN, and a deferral counted");

        Assert.Equal("counter", families.GetProperty("mta_messages_accepted").GetProperty("type").GetString());
        // Five accepted from the client; the bounce's DSN is spooled by the node itself, not accepted over SMTP.
        Assert.Equal(5, Value(families, "mta_messages_accepted"));
        Assert.Equal(1, Value(families, "mta_recipients_bounced"));
        var bounced = Assert.Single(families.GetProperty("mta_recipients_bounced").GetProperty("samples").EnumerateArray());
        Assert.True(bounced.GetProperty("labels").TryGetProperty("category", out var category) && category.GetString()!.Length > 0);
        Assert.Equal(0, Value(families, "mta_recipients_expired"));
        Assert.Equal("gauge", families.GetProperty("mta_queue_recipients").GetProperty("type").GetString());
        Assert.True(Value(families, "mta_queue_recipients", "state", "pending") >= 1);
        Assert.Equal(1024, Value(families, "mta_shards_owned"));
        Assert.True(Value(families, "mta_active_entities") >= 1);
        Assert.Equal("gauge", families.GetProperty("mta_smtp_inbound_connections").GetProperty("type").GetString());
        Assert.Equal("gauge", families.GetProperty("mta_smtp_outbound_connections").GetProperty("type").GetString());

        foreach (var histogram in new[] { "mta_accept_latency_seconds", "mta_delivery_latency_seconds", "mta_time_in_queue_seconds" })
        {
            var family = families.GetProperty(histogram);
            Assert.Equal("histogram", family.GetProperty("type").GetString());
            var samples = family.GetProperty("samples").EnumerateArray().ToList();
            var buckets = samples.Where(s => s.GetProperty("name").GetString() == histogram + "_bucket").Select(s => s.GetProperty("value").GetDouble()).ToList();
            var count = samples.Single(s => s.GetProperty("name").GetString() == histogram + "_count").GetProperty("value").GetDouble();
            Assert.True(count >= 1, $"{histogram} observed nothing");
            Assert.True(buckets.Zip(buckets.Skip(1)).All(p => p.First <= p.Second), $"{histogram}: buckets are not cumulative");
            Assert.Equal(count, buckets[^1]);
        }
        Assert.True(families.GetProperty("mta_accept_latency_seconds").GetProperty("samples").EnumerateArray()
            .Single(s => s.GetProperty("name").GetString() == "mta_accept_latency_seconds_count").GetProperty("value").GetDouble() >= 5);
        // Bounded cardinality: no family carries a domain.
        Assert.All(families.EnumerateObject(), f => Assert.All(f.Value.GetProperty("samples").EnumerateArray(),
            s => Assert.False(s.GetProperty("labels").TryGetProperty("domain", out _), $"{f.Name} has a domain label")));
    }

    [Fact]
    public async Task Metrics_need_the_token_unless_made_public_and_the_api_needs_it_either_way()
    {
        await using var sink = await SmtpSink.StartAsync();
        var (node, _, http) = await StartAsync(sink.EndPoint.Port, sink.EndPoint.Port, publicMetrics: true);
        await using var running = node;
        using var httpClient = http;
        using var metrics = await http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        await PrometheusTextParser.ParseAsync(await metrics.Content.ReadAsStringAsync());
        using var api = await http.GetAsync("/api/queue");
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
    }
}
