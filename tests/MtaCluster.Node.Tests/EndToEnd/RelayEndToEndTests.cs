using System.Text;
using MtaCluster.Smtp.Auth;
using MtaCluster.Testing;

namespace MtaCluster.Node.Tests.EndToEnd;

/// <summary>A node process as an operator runs it: mail in over SMTP, out to a real receiver.</summary>
public sealed class RelayEndToEndTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mta-relay-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Mail_submitted_on_the_relay_port_reaches_the_receiver_and_is_accounted()
    {
        await using var sink = await SmtpSink.StartAsync(dump: true);
        var port = FreePort.Next();
        var domains = await NodeConfig.WriteRouteToAsync(Path.Combine(_dir, "domains.yaml"), sink.EndPoint.Port);
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
            var content = Encoding.ASCII.GetBytes("From: <app@example.com>\r\nTo: <user@example.net>\r\nSubject: end to end\r\n\r\nover the whole path\r\n");
            var reply = await client.SendAsync("app@example.com", ["user@example.net", "other@example.net"], content, timeout.Token);
            Assert.StartsWith("250 2.0.0", reply);
        }

        var dump = Assert.Single(await sink.WaitForDumpsAsync(1));
        Assert.Contains("over the whole path", dump);
        Assert.Contains("Received: from app.example.com", dump);

        // The accounting log is flushed within a second; both recipients went in the one transaction.
        var accounting = Path.Combine(_dir, "data", "accounting");
        string[] lines = [];
        for (var i = 0; i < 50 && lines.Length < 2; i++)
        {
            await Task.Delay(100);
            lines = Directory.Exists(accounting) ? Directory.GetFiles(accounting).SelectMany(File.ReadAllLines).ToArray() : [];
        }
        Assert.Equal(2, lines.Length);
        Assert.All(lines, l => Assert.Contains("\"type\":\"delivered\"", l));

        node.Signal(NodeProcess.SIGTERM);
        Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task Hash_password_prints_a_hash_that_verifies()
    {
        await using var node = NodeProcess.Start(_dir, ["hash-password", "correct horse"]);
        Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var hash = Assert.Single(node.Output, l => l.StartsWith(PasswordHasher.Scheme, StringComparison.Ordinal));
        Assert.True(PasswordHasher.Verify("correct horse", hash));
        Assert.False(PasswordHasher.Verify("wrong horse", hash));
    }
}
