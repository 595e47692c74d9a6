using System.Text;
using MtaCluster.Testing;

namespace MtaCluster.Node.Tests.EndToEnd;

/// <summary>The lane and campaign fields over the whole path: SMTP in, the spool, delivery, the accounting log.</summary>
public sealed class LaneHeadersEndToEndTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mta-lanes-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task An_unknown_lane_is_accepted_with_a_warning_and_neither_field_reaches_the_receiver()
    {
        await using var sink = await SmtpSink.StartAsync(dump: true);
        var port = FreePort.Next();
        var domains = await NodeConfig.WriteRouteToAsync(Path.Combine(_dir, "domains.yaml"), sink.EndPoint.Port);
        // Loopback is in the default trusted networks: this client may choose a lane, and asks for one that does not exist.
        var config = await NodeConfig.WriteRelayNodeAsync(Path.Combine(_dir, "node.yaml"), Path.Combine(_dir, "data"), port, $"""
            Delivery:
              DomainsFile: {domains}
            """);
        await using var node = NodeProcess.Start(_dir, ["--config", config]);
        await node.WaitForOutputAsync("SMTP listener relay", TimeSpan.FromSeconds(60));

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using (var client = await LineSmtpClient.ConnectAsync(port, timeout.Token))
        {
            await client.CommandAsync("EHLO app.example.com", timeout.Token);
            var content = Encoding.ASCII.GetBytes("From: <app@example.com>\r\nX-MtaCluster-Lane: urgent\r\nTo: <user@example.net>\r\n" +
                "X-MtaCluster-Campaign: winter-26\r\nSubject: lanes\r\n\r\nthe body\r\n");
            Assert.StartsWith("250 2.0.0", await client.SendAsync("app@example.com", ["user@example.net"], content, timeout.Token));
            // And a lane that exists, which the session's trust lets this client choose.
            var chosen = Encoding.ASCII.GetBytes("From: <app@example.com>\r\nX-MtaCluster-Lane: transactional\r\nSubject: reset\r\n\r\nyour code\r\n");
            Assert.StartsWith("250 2.0.0", await client.SendAsync("app@example.com", ["reset@example.net"], chosen, timeout.Token));
        }

        var dumps = await sink.WaitForDumpsAsync(2);
        Assert.All(dumps, d => Assert.DoesNotContain("X-MtaCluster", d, StringComparison.OrdinalIgnoreCase));
        var dump = Assert.Single(dumps, d => d.Contains("the body"));
        Assert.DoesNotContain("X-MtaCluster", dump, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("To: <user@example.net>\r\nSubject: lanes\r\n", dump.ReplaceLineEndings("\r\n"));
        await node.WaitForOutputAsync("X-MtaCluster-Lane is neither transactional nor bulk", TimeSpan.FromSeconds(10));

        var accounting = Path.Combine(_dir, "data", "accounting");
        string[] lines = [];
        await Poll.UntilAsync(() =>
        {
            lines = Directory.Exists(accounting) ? Directory.GetFiles(accounting).SelectMany(File.ReadAllLines).ToArray() : [];
            return Task.FromResult(lines.Length >= 2);
        }, TimeSpan.FromSeconds(30), "the accounting records");
        Assert.Equal(2, lines.Length);
        var line = Assert.Single(lines, l => l.Contains("user@example.net"));
        var reset = Assert.Single(lines, l => l.Contains("reset@example.net"));
        Assert.Contains("\"lane\":\"transactional\"", reset);
        Assert.Contains("\"campaign\":null", reset);
        Assert.Contains("\"tenant\":\"default\"", line);
        Assert.Contains("\"lane\":\"bulk\"", line);
        Assert.Contains("\"campaign\":\"winter-26\"", line);

        node.Signal(NodeProcess.SIGTERM);
        Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }
}
