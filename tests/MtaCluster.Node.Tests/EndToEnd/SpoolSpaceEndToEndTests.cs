using MtaCluster.Testing;

namespace MtaCluster.Node.Tests.EndToEnd;

/// <summary>
/// The spool space monitor reaches the SMTP sessions of a real node: with a free-space threshold no
/// volume can meet, MAIL is refused with 452 4.3.1 before the client sends any content, the
/// session stays usable, and the log says why.
/// </summary>
public sealed class SpoolSpaceEndToEndTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mta-space-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Below_the_free_space_threshold_mail_is_refused_at_MAIL_with_452_4_3_1()
    {
        int port = FreePort.Next();
        var config = await NodeConfig.WriteRelayNodeAsync(Path.Combine(_dir, "node.yaml"), Path.Combine(_dir, "data"), port, $"""
            Spool:
              MinFreeBytes: {long.MaxValue}
            Delivery:
              Hold: true
            """);
        await using var node = NodeProcess.Start(_dir, ["--config", config]);
        await node.WaitForOutputAsync("SMTP listener relay", TimeSpan.FromSeconds(60));
        await node.WaitForOutputAsync("low on space", TimeSpan.FromSeconds(60));

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var client = await LineSmtpClient.ConnectAsync(port, timeout.Token);
        Assert.StartsWith("250", await client.CommandAsync("EHLO app.example.com", timeout.Token));
        Assert.StartsWith("452 4.3.1", await client.CommandAsync("MAIL FROM:<app@example.com>", timeout.Token));
        Assert.StartsWith("250", await client.CommandAsync("NOOP", timeout.Token));
        Assert.StartsWith("221", await client.CommandAsync("QUIT", timeout.Token));
    }
}
