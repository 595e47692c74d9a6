using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using MtaCluster.Testing;

namespace MtaCluster.Node.Tests.Admin;

/// <summary>
/// The admin endpoint of a real node: the token made on first start (0600), every request refused
/// without it (401 with a JSON body), and the JSON API's answers about mail that stays queued
/// (its route points at a closed loopback port, so every attempt is deferred).
/// </summary>
public sealed class AdminEndpointEndToEndTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mta-admin-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string DataDir => Path.Combine(_dir, "data");

    private async Task<(NodeProcess Node, int SmtpPort, HttpClient Http)> StartNodeAsync(string admin = "", IDictionary<string, string>? environment = null)
    {
        var smtpPort = FreePort.Next();
        var adminPort = FreePort.Next();
        // Nothing listens on the route's port: every attempt fails to connect and the mail stays queued.
        var domains = await NodeConfig.WriteRouteToAsync(Path.Combine(_dir, "domains.yaml"), FreePort.Next());
        var config = await NodeConfig.WriteRelayNodeAsync(Path.Combine(_dir, "node.yaml"), DataDir, smtpPort, $"""
            Delivery:
              DomainsFile: {domains}
            {admin}
            """);
        var env = new Dictionary<string, string> { [NodeProcess.AdminListenVariable] = $"127.0.0.1:{adminPort}" };
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) env[k] = v;
        var node = NodeProcess.Start(_dir, ["--config", config], env);
        await node.WaitForOutputAsync("Admin endpoint listening on", TimeSpan.FromSeconds(60));
        await node.WaitForOutputAsync("SMTP listener relay", TimeSpan.FromSeconds(60));
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{adminPort}"), Timeout = TimeSpan.FromSeconds(30) };
        return (node, smtpPort, http);
    }

    private static async Task<string> SendAsync(int port, string from, params string[] recipients)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var client = await LineSmtpClient.ConnectAsync(port, timeout.Token);
        await client.CommandAsync("EHLO app.example.com", timeout.Token);
        var content = Encoding.ASCII.GetBytes($"From: <{from}>\r\nSubject: admin\r\n\r\nqueued for the admin API\r\n");
        var reply = await client.SendAsync(from, recipients, content, timeout.Token);
        Assert.StartsWith("250", reply);
        return reply[(reply.LastIndexOf(' ') + 1)..].Trim();
    }

    private static async Task<JsonElement> GetJsonAsync(HttpClient http, string path, string token, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{path}: {(int)response.StatusCode} {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    [Fact]
    public async Task The_token_is_made_on_first_start_with_mode_0600_and_every_request_without_it_is_refused_with_401()
    {
        var (node, _, http) = await StartNodeAsync();
        await using var _ = node;
        using var __ = http;

        var path = Path.Combine(DataDir, "admin.token");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        var token = (await File.ReadAllTextAsync(path)).Trim();
        Assert.Matches("^[A-Za-z0-9_-]{43}$", token);

        foreach (var route in new[] { "/api/queue", "/api/cluster", "/metrics", "/nothing-here" })
        {
            using var missing = await http.GetAsync(route);
            Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
            Assert.Equal("Bearer", missing.Headers.WwwAuthenticate.Single().Scheme);
            Assert.Equal("unauthorized", JsonDocument.Parse(await missing.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
        }
        var wrong = await GetJsonAsync(http, "/api/queue", token[..^1] + (token[^1] == 'A' ? 'B' : 'A'), HttpStatusCode.Unauthorized);
        Assert.Equal("the admin token was refused", wrong.GetProperty("message").GetString());
        await GetJsonAsync(http, "/api/queue", token);
        await GetJsonAsync(http, "/api/nope", token, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_configured_token_is_the_only_one_taken_and_no_token_file_is_made()
    {
        var (node, _, http) = await StartNodeAsync(environment: new Dictionary<string, string> { ["MTA_Admin__Token"] = "configured-token-1" });
        await using var _ = node;
        using var __ = http;
        await GetJsonAsync(http, "/api/cluster", "configured-token-1");
        await GetJsonAsync(http, "/api/cluster", "configured-token-2", HttpStatusCode.Unauthorized);
        Assert.False(File.Exists(Path.Combine(DataDir, "admin.token")));
        Assert.DoesNotContain(node.Output, l => l.Contains("configured-token-1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_api_shows_the_node_the_queue_its_top_domains_a_domain_and_a_message()
    {
        var (node, smtpPort, http) = await StartNodeAsync();
        await using var _ = node;
        using var __ = http;
        var token = (await File.ReadAllTextAsync(Path.Combine(DataDir, "admin.token"))).Trim();

        var id = await SendAsync(smtpPort, "app@example.com", "a@big.test", "b@big.test", "c@small.test");
        await SendAsync(smtpPort, "app@example.com", "d@big.test");

        var cluster = await GetJsonAsync(http, "/api/cluster", token);
        Assert.Equal("sqlite", cluster.GetProperty("store").GetString());
        var self = Assert.Single(cluster.GetProperty("nodes").EnumerateArray());
        Assert.Equal("up", self.GetProperty("state").GetString());
        Assert.Equal(1024, self.GetProperty("shards").GetInt32());
        Assert.Equal(http.BaseAddress!.Authority, self.GetProperty("address").GetString());
        Assert.True(self.GetProperty("up_since").GetDateTimeOffset() <= DateTimeOffset.UtcNow);

        var queue = await GetJsonAsync(http, "/api/queue", token);
        Assert.Equal(2, queue.GetProperty("messages").GetInt64());
        Assert.Equal(4, queue.GetProperty("recipients").GetProperty("pending").GetInt64());
        Assert.Equal(0, queue.GetProperty("recipients").GetProperty("delivered").GetInt64());
        Assert.True(queue.GetProperty("oldest_age_seconds").GetInt64() >= 0);

        // The first attempts fail to connect; the top domains then carry that reply as their last error.
        await Poll.UntilAsync(async () =>
            (await GetJsonAsync(http, "/api/queue/top?n=1", token)).GetProperty("domains")[0].GetProperty("last_error").ValueKind == JsonValueKind.String,
            TimeSpan.FromSeconds(60), "a deferral recorded for big.test");
        var top = await GetJsonAsync(http, "/api/queue/top?n=1", token);
        var big = Assert.Single(top.GetProperty("domains").EnumerateArray());
        Assert.Equal("big.test", big.GetProperty("domain").GetString());
        Assert.Equal(3, big.GetProperty("queued").GetInt64());
        Assert.False(big.GetProperty("suspended").GetBoolean());
        Assert.Equal(2, (await GetJsonAsync(http, "/api/queue/top", token)).GetProperty("domains").GetArrayLength());
        await GetJsonAsync(http, "/api/queue/top?n=0", token, HttpStatusCode.BadRequest);
        await GetJsonAsync(http, "/api/queue/top?n=lots", token, HttpStatusCode.BadRequest);

        var domain = await GetJsonAsync(http, "/api/domains/Small.TEST", token);
        Assert.Equal("small.test", domain.GetProperty("domain").GetString());
        Assert.Equal(1, domain.GetProperty("queued").GetInt64());
        var policy = domain.GetProperty("policy");
        Assert.Equal("default", policy.GetProperty("key").GetString());
        Assert.Equal("default", policy.GetProperty("match").GetString());
        Assert.Contains("no entry names small.test", policy.GetProperty("why").GetString());
        Assert.StartsWith("127.0.0.1:", policy.GetProperty("route").GetString());

        var message = await GetJsonAsync(http, $"/api/messages/{id}", token);
        Assert.Equal(id, message.GetProperty("id").GetString());
        Assert.Equal("app@example.com", message.GetProperty("reverse_path").GetString());
        Assert.Equal(["a@big.test", "b@big.test", "c@small.test"],
            message.GetProperty("recipients").EnumerateArray().Select(r => r.GetProperty("address").GetString()));
        Assert.All(message.GetProperty("recipients").EnumerateArray(), r => Assert.Equal("pending", r.GetProperty("state").GetString()));
        Assert.Equal("pending", message.GetProperty("dsn").GetString());
        var missing = await GetJsonAsync(http, "/api/messages/00000000000000000000000000", token, HttpStatusCode.NotFound);
        Assert.Equal("not_found", missing.GetProperty("error").GetString());
    }
}
