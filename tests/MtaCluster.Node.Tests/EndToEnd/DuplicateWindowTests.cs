using System.Text;
using System.Text.RegularExpressions;
using MtaCluster.Testing;
using Xunit.Abstractions;

namespace MtaCluster.Node.Tests.EndToEnd;

/// <summary>
/// What a node killed with SIGKILL in the middle of delivering sends twice: only transactions the
/// receiver accepted whose outcome was not yet committed, at most two per open connection (one
/// being committed, one on the wire), and it loses nothing.
/// </summary>
public sealed partial class DuplicateWindowTests(ITestOutputHelper output) : IDisposable
{
    private const int Messages = 500;
    private const int MaxConnections = 4;

    private readonly string _dir = Directory.CreateTempSubdirectory("mta-dup-").FullName;
    private string _dumps = null!;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_node_killed_mid_delivery_loses_nothing_and_resends_at_most_two_transactions_per_connection()
    {
        await using var sink = await SmtpSink.StartAsync(dump: true);
        _dumps = sink.DumpDirectory!;
        var port = FreePort.Next();
        var domains = await NodeConfig.WriteRouteToAsync(Path.Combine(_dir, "domains.yaml"), sink.EndPoint.Port,
            $"  max-connections: {MaxConnections}\n  max-messages-per-connection: 10000\n");
        var held = await WriteConfigAsync("held.yaml", port, domains, hold: true);
        var delivering = await WriteConfigAsync("node.yaml", port, domains, hold: false);

        // Queued with delivery held, so that delivery starts at full speed on a known queue.
        await using (var node = NodeProcess.Start(_dir, ["--config", held]))
        {
            await node.WaitForOutputAsync("SMTP listener relay", TimeSpan.FromSeconds(60));
            await Task.WhenAll(Enumerable.Range(0, 8).Select(c => SubmitAsync(port, c, 8)));
            node.Signal(NodeProcess.SIGTERM);
            Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        }

        int atKill;
        await using (var node = NodeProcess.Start(_dir, ["--config", delivering]))
        {
            await node.WaitForOutputAsync("SMTP listener relay", TimeSpan.FromSeconds(60));
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while ((atKill = Directory.GetFiles(_dumps).Length) < Messages / 10)
            {
                Assert.True(DateTime.UtcNow < deadline, $"delivery did not start: {atKill} messages arrived");
                await Task.Delay(5);
            }
            node.Signal(NodeProcess.SIGKILL);
            await node.WaitForExitAsync(TimeSpan.FromSeconds(30));
        }
        var beforeRestart = Directory.GetFiles(_dumps).Length;
        output.WriteLine($"SIGKILL after {atKill} messages had arrived; {beforeRestart} by the time it was dead");
        Assert.True(beforeRestart < Messages, "the kill came in the middle of delivery");

        await using (var node = NodeProcess.Start(_dir, ["--config", delivering]))
        {
            await node.WaitForOutputAsync("SMTP listener relay", TimeSpan.FromSeconds(60));
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
            while (Received().Distinct().Count() < Messages && DateTime.UtcNow < deadline) await Task.Delay(100);
            // A clean stop finishes whatever is still on the wire, so nothing arrives after the count below.
            node.Signal(NodeProcess.SIGTERM);
            Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        }

        var received = Received();
        var unique = received.Distinct().Count();
        var duplicates = received.Count - unique;
        // One domain: its connections, each with one commit pending and one transaction on the wire.
        var bound = MaxConnections * 2;
        output.WriteLine($"{received.Count} transactions arrived for {Messages} messages: {Messages - unique} lost, {duplicates} twice (bound {bound})");
        Assert.Equal(Messages, unique);
        Assert.InRange(duplicates, 0, bound);
    }

    /// <summary>The test number of every message the sink holds, once per transaction that brought it.</summary>
    private List<int> Received()
    {
        var numbers = new List<int>();
        foreach (var file in Directory.GetFiles(_dumps))
        {
            var match = SubjectPattern().Match(File.ReadAllText(file));
            if (match.Success) numbers.Add(int.Parse(match.Groups[1].Value));
        }
        return numbers;
    }

    private Task<string> WriteConfigAsync(string name, int port, string domains, bool hold) =>
        NodeConfig.WriteRelayNodeAsync(Path.Combine(_dir, name), Path.Combine(_dir, "data"), port, $"""
            Delivery:
              Hold: {(hold ? "true" : "false")}
              DomainsFile: {domains}
            """);

    private static async Task SubmitAsync(int port, int client, int clients)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var smtp = await LineSmtpClient.ConnectAsync(port, timeout.Token);
        await smtp.CommandAsync($"EHLO client{client}.example.com", timeout.Token);
        for (var n = client; n < Messages; n += clients)
        {
            var content = Encoding.ASCII.GetBytes(
                $"From: <app@example.com>\r\nTo: <user{n}@example.net>\r\nSubject: duplicate window {n}\r\n" +
                $"Message-ID: <{n}.{Guid.NewGuid():N}@example.com>\r\n\r\nmessage {n}\r\n");
            var reply = await smtp.SendAsync("app@example.com", [$"user{n}@example.net"], content, timeout.Token);
            Assert.StartsWith("250", reply);
        }
    }

    [GeneratedRegex(@"^Subject: duplicate window (\d+)\r?$", RegexOptions.Multiline)]
    private static partial Regex SubjectPattern();
}
