using MtaCluster.Testing;

namespace MtaCluster.Node.Tests.EndToEnd;

/// <summary>
/// ORCPT through a node (RFC 3461 §4.2): decoded by the server as UTF-8, stored, encoded again by the
/// client, and read back off Postfix's smtp-sink, which writes every RCPT line it got into the dump.
/// </summary>
public sealed class OriginalRecipientEndToEndTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mta-orcpt-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Orcpt_reaches_the_receiver_with_the_address_the_client_gave()
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
            Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<app@example.com>", timeout.Token));
            Assert.StartsWith("250", await client.CommandAsync("RCPT TO:<a@example.net> NOTIFY=FAILURE ORCPT=rfc822;a+2Bb+3Dc@example.net", timeout.Token));
            Assert.StartsWith("250", await client.CommandAsync("RCPT TO:<j@example.net> ORCPT=rfc822;J+C3+B6rg@example.net", timeout.Token));
            Assert.StartsWith("250", await client.CommandAsync(@"RCPT TO:<k@example.net> ORCPT=utf-8;K\x{F6}rg@example.net", timeout.Token));
            // Octets that are not UTF-8 would have to be guessed at; the node refuses them instead.
            Assert.StartsWith("501 5.5.4 ORCPT", await client.CommandAsync("RCPT TO:<l@example.net> ORCPT=rfc822;L+F6rg@example.net", timeout.Token));
            Assert.StartsWith("354", await client.CommandAsync("DATA", timeout.Token));
            Assert.StartsWith("250 2.0.0", await client.CommandAsync("Subject: orcpt\r\n\r\nbody\r\n.", timeout.Token));
        }

        var dump = Assert.Single(await sink.WaitForDumpsAsync(1));
        var rcpts = dump.Split('\n').Where(l => l.StartsWith("X-Rcpt-Args: ", StringComparison.Ordinal)).Select(l => l.TrimEnd('\r')).Order().ToArray();
        Assert.Equal(
            [
                // ASCII xtext goes on byte for byte.
                "X-Rcpt-Args: <a@example.net> NOTIFY=FAILURE ORCPT=rfc822;a+2Bb+3Dc@example.net",
                // The client writes a non-ASCII address in RFC 6533 §3's utf-8-addr-xtext: ö is U+00F6,
                // the character the sender's UTF-8 octets C3 B6 stand for (read as Latin-1 it was "Ã¶").
                @"X-Rcpt-Args: <j@example.net> ORCPT=utf-8;J\x{F6}rg@example.net",
                @"X-Rcpt-Args: <k@example.net> ORCPT=utf-8;K\x{F6}rg@example.net",
            ],
            rcpts);

        node.Signal(NodeProcess.SIGTERM);
        Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }
}
