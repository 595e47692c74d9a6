using System.Text;
using MtaCluster.Testing;

namespace MtaCluster.Node.Tests.EndToEnd;

/// <summary>SIGHUP on a running node process: the configuration is read again, nothing in flight is dropped.</summary>
public sealed class ReloadEndToEndTests : IDisposable
{
    private static readonly TimeSpan Start = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private readonly string _dir = Directory.CreateTempSubdirectory("mta-reload-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string DomainsPath => Path.Combine(_dir, "domains.yaml");

    private async Task<(NodeProcess Node, int Port, string Config)> StartNodeAsync(string delivery = "")
    {
        var port = FreePort.Next();
        // A long idle timeout keeps the first connection open across the reload: the reloaded route
        // must not reach mail through a connection opened under the old one.
        var config = await NodeConfig.WriteRelayNodeAsync(Path.Combine(_dir, "node.yaml"), Path.Combine(_dir, "data"), port, NodeSections(delivery));
        var node = NodeProcess.Start(_dir, ["--config", config]);
        await node.WaitForOutputAsync("SMTP listener relay", Start);
        return (node, port, config);
    }

    private string NodeSections(string delivery) => $"""
        Delivery:
          DomainsFile: {DomainsPath}
          ConnectionIdleTimeout: 00:01:00
        {delivery}
        """;

    private static byte[] Message(string subject) =>
        Encoding.ASCII.GetBytes($"From: <app@example.com>\r\nTo: <user@example.net>\r\nSubject: {subject}\r\n\r\nbody of {subject}\r\n");

    private static int Count(NodeProcess node, string text) => node.Output.Count(l => l.Contains(text, StringComparison.Ordinal));

    private static async Task WaitForCountAsync(NodeProcess node, string text, int count)
    {
        using var timeout = new CancellationTokenSource(Wait);
        while (Count(node, text) < count)
        {
            Assert.False(node.HasExited, $"node exited:{Environment.NewLine}{node.OutputText}");
            await Task.Delay(50, timeout.Token);
        }
    }

    private static async Task StopCleanlyAsync(NodeProcess node, int signal = NodeProcess.SIGTERM)
    {
        node.Signal(signal);
        var exit = await node.WaitForExitAsync(Wait);
        Assert.True(exit == 0, $"exit code {exit}:{Environment.NewLine}{node.OutputText}");
    }

    [Fact]
    public async Task An_open_session_survives_SIGHUP_and_new_mail_takes_the_reloaded_route()
    {
        await using var before = await SmtpSink.StartAsync(dump: true);
        await using var after = await SmtpSink.StartAsync(dump: true);
        await NodeConfig.WriteRouteToAsync(DomainsPath, before.EndPoint.Port);
        var (node, port, _) = await StartNodeAsync();
        await using var _node = node;

        using var timeout = new CancellationTokenSource(Wait);
        await using var client = await LineSmtpClient.ConnectAsync(port, timeout.Token);
        await client.CommandAsync("EHLO app.example.com", timeout.Token);
        Assert.StartsWith("250", await client.SendAsync("app@example.com", ["user@example.net"], Message("first"), timeout.Token));
        Assert.Contains("body of first", Assert.Single(await before.WaitForDumpsAsync(1)));

        await NodeConfig.WriteRouteToAsync(DomainsPath, after.EndPoint.Port);
        node.Signal(NodeProcess.SIGHUP);
        await node.WaitForOutputAsync("domains.yaml reloaded:", Wait);
        Assert.Contains(node.Output, l => l.Contains($"route 127.0.0.1:{before.EndPoint.Port} -> 127.0.0.1:{after.EndPoint.Port}", StringComparison.Ordinal));

        // The session opened before the signal goes on as if nothing happened.
        Assert.StartsWith("250", await client.SendAsync("app@example.com", ["user@example.net"], Message("second"), timeout.Token));
        Assert.StartsWith("250", await client.CommandAsync("NOOP", timeout.Token));
        Assert.Contains("body of second", Assert.Single(await after.WaitForDumpsAsync(1)));
        Assert.Single(await before.WaitForDumpsAsync(1));

        await client.CommandAsync("QUIT", timeout.Token);
        await StopCleanlyAsync(node);
    }

    [Fact]
    public async Task A_bad_domains_yaml_on_SIGHUP_is_refused_naming_the_key_and_the_policy_in_force_stays()
    {
        await using var sink = await SmtpSink.StartAsync(dump: true);
        await NodeConfig.WriteRouteToAsync(DomainsPath, sink.EndPoint.Port);
        var (node, port, config) = await StartNodeAsync();
        await using var _node = node;

        // An unknown key, a bad value, a YAML syntax error: each would stop a start, so each is refused.
        string[] bad =
        [
            "default:\n  route: 127.0.0.1:9\n  tls: none\n  max-conections: 5\n",
            "default:\n  route: 127.0.0.1:9\n  tls: none\n  max-connections: ten\n",
            "default:\n  route: [127.0.0.1:9\n",
        ];
        string[] named = ["max-conections", "max-connections", "line "];
        for (var i = 0; i < bad.Length; i++)
        {
            await File.WriteAllTextAsync(DomainsPath, bad[i]);
            node.Signal(NodeProcess.SIGHUP);
            await WaitForCountAsync(node, "domains.yaml reload refused", i + 1);
            var refusal = node.Output.Where(l => l.Contains("domains.yaml reload refused", StringComparison.Ordinal)).ElementAt(i);
            Assert.Contains(named[i], refusal);
            Assert.Contains("fail:", refusal);
        }
        Assert.DoesNotContain(node.Output, l => l.Contains("domains.yaml reloaded", StringComparison.Ordinal));
        Assert.False(node.HasExited);

        // A node configuration that would not start is refused too, naming the key; delivery stays as it was (not on hold).
        await NodeConfig.WriteRelayNodeAsync(config, Path.Combine(_dir, "data"), port, NodeSections("  Hold: yes-please\n"));
        node.Signal(NodeProcess.SIGHUP);
        await node.WaitForOutputAsync("node configuration reload refused", Wait);
        Assert.Contains(node.Output, l => l.Contains("node configuration reload refused", StringComparison.Ordinal) && l.Contains("Delivery:Hold", StringComparison.Ordinal));
        // An unknown key, which the binder alone would take silently, is refused as it is at start.
        await NodeConfig.WriteRelayNodeAsync(config, Path.Combine(_dir, "data"), port, NodeSections("  Hodl: true\n"));
        node.Signal(NodeProcess.SIGHUP);
        await WaitForCountAsync(node, "node configuration reload refused", 2);
        Assert.Contains(node.Output, l => l.Contains("node configuration reload refused", StringComparison.Ordinal)
            && l.Contains("Delivery:Hodl: unknown setting (did you mean Hold?)", StringComparison.Ordinal));

        using var timeout = new CancellationTokenSource(Wait);
        await using (var client = await LineSmtpClient.ConnectAsync(port, timeout.Token))
        {
            await client.CommandAsync("EHLO app.example.com", timeout.Token);
            Assert.StartsWith("250", await client.SendAsync("app@example.com", ["user@example.net"], Message("after refusal"), timeout.Token));
        }
        Assert.Contains("body of after refusal", Assert.Single(await sink.WaitForDumpsAsync(1)));
        // Ctrl-C after reloads is the same clean stop as SIGTERM.
        await StopCleanlyAsync(node, NodeProcess.SIGINT);
    }

    [Fact]
    public async Task Mail_queued_before_a_reload_is_delivered_after_it_and_SIGTERM_after_reloads_exits_zero()
    {
        await using var sink = await SmtpSink.StartAsync(dump: true);
        await NodeConfig.WriteRouteToAsync(DomainsPath, sink.EndPoint.Port);
        var (node, port, config) = await StartNodeAsync("  Hold: true\n");
        await using var _node = node;

        using var timeout = new CancellationTokenSource(Wait);
        await using (var client = await LineSmtpClient.ConnectAsync(port, timeout.Token))
        {
            await client.CommandAsync("EHLO app.example.com", timeout.Token);
            for (var i = 0; i < 3; i++)
            {
                Assert.StartsWith("250", await client.SendAsync("app@example.com", [$"user{i}@example.net"], Message($"queued {i}"), timeout.Token));
            }
        }

        // Delivery:Hold changes live; RemotePort does not, and the log says so.
        await NodeConfig.WriteRelayNodeAsync(config, Path.Combine(_dir, "data"), port, NodeSections("  Hold: false\n  RemotePort: 2526\n"));
        node.Signal(NodeProcess.SIGHUP);
        await node.WaitForOutputAsync("delivery resumed (Delivery:Hold reloaded)", Wait);
        await node.WaitForOutputAsync("takes effect only after a restart: Delivery:RemotePort", Wait);
        Assert.Contains(node.Output, l => l.Contains("Delivery:RemotePort", StringComparison.Ordinal) && l.Contains("-> 2526", StringComparison.Ordinal));
        var delivered = await sink.WaitForDumpsAsync(3);
        Assert.Equal(3, delivered.Length);
        for (var i = 0; i < 3; i++) Assert.Single(delivered, d => d.Contains($"body of queued {i}", StringComparison.Ordinal));

        // The Logging levels change live: with the reload's own category at Warning, a later reload's
        // summary (Information) is no longer written, while its Warning still is.
        await NodeConfig.WriteRelayNodeAsync(config, Path.Combine(_dir, "data"), port, NodeSections("  RemotePort: 2526\n") + """

            Logging:
              LogLevel:
                MtaCluster.Node.Reload: Warning

            """);
        node.Signal(NodeProcess.SIGHUP);
        await WaitForCountAsync(node, "takes effect only after a restart", 2);
        var summaries = Count(node, "domains.yaml reloaded:");
        Assert.Equal(2, summaries);
        node.Signal(NodeProcess.SIGHUP);
        await WaitForCountAsync(node, "takes effect only after a restart", 3);
        Assert.Equal(summaries, Count(node, "domains.yaml reloaded:"));

        await StopCleanlyAsync(node);
        Assert.Equal(3, (await sink.WaitForDumpsAsync(3)).Length);
    }
}
