using System.Text;
using System.Text.RegularExpressions;
using MtaCluster.Testing;
using Xunit.Abstractions;

namespace MtaCluster.Node.Tests.Cluster;

/// <summary>
/// Cluster-wide throttles: twenty domains listed under one MX pattern limited to two connections,
/// mail for them submitted round-robin to three nodes. The domains are placed by the group's key, so
/// one node owns all of them and its one throttle group counts every connection: the receiver, which
/// holds each transaction a little so overlapping sessions would show, never sees more than two at once.
/// (Placed by their own names the domains spread over the three nodes, each counting its own two.)
/// </summary>
public sealed partial class ClusterThrottleTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Messages = 150;
    private const int Domains = 20;
    private const int MaxConnections = 2;
    private static readonly TimeSpan HoldEachTransaction = TimeSpan.FromMilliseconds(40);

    private readonly string _dir = Directory.CreateTempSubdirectory("mta-cluster-throttle-").FullName;
    private readonly SmtpDialogue _dialogue = new() { AfterData = HoldThenAcceptAsync };
    private PostgresServer _postgres = null!;
    private ScriptedPeer _receiver = null!;
    private ClusterNodes _nodes = null!;
    private int _sessions;
    private int _peakSessions;

    public async Task InitializeAsync()
    {
        _postgres = await PostgresServer.StartNewAsync();
        var connectionString = await _postgres.CreateDatabaseAsync();
        _receiver = new ScriptedPeer(CountedSessionAsync);
        var listed = string.Join(", ", Enumerable.Range(0, Domains).Select(d => $"d{d}.example.net"));
        // The route comes from default: a listed domain takes the group's policy (and counters) by name,
        // without an MX lookup, so the static route keeps it in the group.
        var domains = await NodeConfig.WriteRouteToAsync(Path.Combine(_dir, "domains.yaml"), _receiver.EndPoint.Port,
            "  max-connections: 10\n  max-messages-per-connection: 10000\n"
            + "mx-patterns:\n"
            + "  - name: rollup\n"
            + "    match: [\"*.mx.rollup.test\"]\n"
            + $"    max-connections: {MaxConnections}\n"
            + $"    domains: [{listed}]\n");
        _nodes = new ClusterNodes(_dir, _postgres, connectionString, domains);
    }

    public async Task DisposeAsync()
    {
        await _nodes.DisposeAsync();
        await _receiver.DisposeAsync();
        await _postgres.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Domains_listed_under_an_mx_pattern_see_at_most_its_max_connections_from_the_whole_cluster()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        // Continues the Delivery section: an idle connection holds its group slot only briefly, so the
        // twenty domains take their turns at the two connections quickly.
        const string shortIdle = "  ConnectionIdleTimeout: 00:00:00.300";
        await Task.WhenAll(_nodes.StartAsync("n1", shortIdle), _nodes.StartAsync("n2", shortIdle), _nodes.StartAsync("n3", shortIdle));
        var started = clock.Elapsed;
        await Poll.UntilAsync(() => _nodes.SettledAsync("n1", "n2", "n3"), TimeSpan.FromSeconds(60), "three nodes share the shards evenly");
        var settled = clock.Elapsed;

        await Task.WhenAll(Enumerable.Range(0, 6).Select(client => SubmitAsync(_nodes.Ports[$"n{client % 3 + 1}"], client, 6)));

        var submitted = clock.Elapsed;
        await Poll.UntilAsync(() => Received().Distinct().Count() >= Messages, TimeSpan.FromSeconds(120), "every message delivered");
        output.WriteLine($"started {started.TotalSeconds:F1} s, settled {settled.TotalSeconds:F1} s, submitted {submitted.TotalSeconds:F1} s, delivered {clock.Elapsed.TotalSeconds:F1} s");
        foreach (var (name, node) in _nodes.Running.ToList())
        {
            foreach (var line in node.OutputText.Split('\n').Where(l => l.Contains(" warn: ", StringComparison.Ordinal) || l.Contains(" fail: ", StringComparison.Ordinal)).Take(5))
                output.WriteLine($"{name}: {line}");
            node.Signal(NodeProcess.SIGTERM);
            Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(90)));
            _nodes.Forget(name);
            await node.DisposeAsync();
        }

        var received = Received();
        output.WriteLine($"{received.Count} transactions for {Messages} messages; peak {Volatile.Read(ref _peakSessions)} concurrent sessions (limit {MaxConnections}); "
            + $"{_receiver.Connections.Count} sessions in all");
        Assert.Equal(Messages, received.Distinct().Count());
        Assert.Equal("0", (await _nodes.QueryAsync("SELECT count(*) FROM recipients")).Trim());
        Assert.InRange(Volatile.Read(ref _peakSessions), 1, MaxConnections);
    }

    /// <summary>One SMTP session, counted from accept to close, the peak kept.</summary>
    private async Task CountedSessionAsync(PeerConnection connection, int index)
    {
        var now = Interlocked.Increment(ref _sessions);
        int peak;
        while (now > (peak = Volatile.Read(ref _peakSessions)) && Interlocked.CompareExchange(ref _peakSessions, now, peak) != peak)
        {
        }
        try
        {
            await _dialogue.RunAsync(connection);
        }
        finally
        {
            Interlocked.Decrement(ref _sessions);
        }
    }

    private static async Task HoldThenAcceptAsync(PeerConnection connection)
    {
        await Task.Delay(HoldEachTransaction);
        await connection.SendAsync("250 2.0.0 Ok: queued\r\n");
    }

    private static async Task SubmitAsync(int port, int client, int clients)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await using var smtp = await LineSmtpClient.ConnectAsync(port, timeout.Token);
        await smtp.CommandAsync($"EHLO client{client}.example.com", timeout.Token);
        for (var n = client; n < Messages; n += clients)
        {
            var to = $"user{n}@d{n % Domains}.example.net";
            var content = Encoding.ASCII.GetBytes(
                $"From: <app@example.com>\r\nTo: <{to}>\r\nSubject: throttle {n}\r\n" +
                $"Message-ID: <{n}.{Guid.NewGuid():N}@example.com>\r\n\r\nmessage {n}\r\n");
            var reply = await smtp.SendAsync("app@example.com", [to], content, timeout.Token);
            Assert.StartsWith("250", reply);
        }
    }

    /// <summary>The test number of every message the receiver took, once per transaction that brought it.</summary>
    private List<int> Received()
    {
        lock (_dialogue.Messages)
        {
            return _dialogue.Messages
                .Select(data => SubjectPattern().Match(Encoding.ASCII.GetString(data)))
                .Where(m => m.Success)
                .Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))
                .ToList();
        }
    }

    [GeneratedRegex(@"^Subject: throttle (\d+)\r?$", RegexOptions.Multiline)]
    private static partial Regex SubjectPattern();
}
