using System.Collections.Concurrent;
using System.Diagnostics;
using MtaCluster.Testing;
using Xunit.Abstractions;

namespace MtaCluster.Node.Tests.Cluster;

/// <summary>
/// The cluster's PostgreSQL crashes while mail is being submitted to two nodes and delivered, stays down
/// a few seconds and comes back: while it is away SMTP answers 451 4.3.0 (never 250 without a commit),
/// the nodes reconnect by themselves (spool writer, wake-up listener, heartbeats, leases) without
/// exiting, and every message that was answered 250 is delivered.
/// </summary>
public sealed class ClusterDatabaseRestartTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Domains = 60;
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(4);

    private readonly string _dir = Directory.CreateTempSubdirectory("mta-pgrestart-").FullName;
    private readonly ConcurrentDictionary<int, byte> _acknowledged = new();
    private readonly ConcurrentQueue<string> _unexpected = new();
    private readonly CancellationTokenSource _stopSubmitting = new();
    private PostgresServer _postgres = null!;
    private SmtpSink _sink = null!;
    private ClusterNodes _nodes = null!;
    private int _next = -1;
    private int _deferred;
    private int _dropped;

    public async Task InitializeAsync()
    {
        _postgres = await PostgresServer.StartNewAsync();
        var connectionString = await _postgres.CreateDatabaseAsync();
        _sink = await SmtpSink.StartAsync(dump: true);
        var domains = await NodeConfig.WriteRouteToAsync(Path.Combine(_dir, "domains.yaml"), _sink.EndPoint.Port,
            "  max-connections: 2\n  max-messages-per-connection: 10000\n");
        // A minute between the safety-net scans: mail accepted after the restart reaches another node's
        // shard within the test's patience only if that node's LISTEN was re-established.
        _nodes = new ClusterNodes(_dir, _postgres, connectionString, domains) { DueScanInterval = TimeSpan.FromSeconds(60) };
    }

    public async Task DisposeAsync()
    {
        await _stopSubmitting.CancelAsync();
        await _nodes.DisposeAsync();
        await _sink.DisposeAsync();
        await _postgres.DisposeAsync();
        _stopSubmitting.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task While_the_database_restarts_mid_load_smtp_defers_with_451_the_nodes_reconnect_by_themselves_and_every_acknowledged_message_is_delivered()
    {
        await Task.WhenAll(_nodes.StartAsync("n1"), _nodes.StartAsync("n2"));
        await Poll.UntilAsync(() => _nodes.SettledAsync("n1", "n2"), TimeSpan.FromSeconds(60), "two nodes share the shards");

        var clients = Enumerable.Range(0, 4).Select(client => Task.Run(() => SubmitUntilStoppedAsync(_nodes.Ports[client % 2 == 0 ? "n1" : "n2"], client))).ToList();
        await Poll.UntilAsync(() => _acknowledged.Count >= 200 && _sink.MessagesReceived >= 100, TimeSpan.FromSeconds(60), "mail accepted and delivered");

        await _postgres.CrashAsync();
        var down = Stopwatch.StartNew();
        int acknowledgedAtCrash = _acknowledged.Count;
        await Task.Delay(Outage);
        int acknowledgedWhileDown = _acknowledged.Count - acknowledgedAtCrash;
        int deferredWhileDown = Volatile.Read(ref _deferred);
        await _postgres.StartAsync();
        output.WriteLine($"database down {down.Elapsed.TotalSeconds:F1} s; {acknowledgedWhileDown} acknowledged and {deferredWhileDown} deferred meanwhile");

        // Back: both nodes hold every shard again and accept mail again, without having exited.
        await Poll.UntilAsync(() => _nodes.SettledAsync("n1", "n2"), TimeSpan.FromSeconds(60), "the nodes own every shard again");
        int acknowledgedAtRestart = _acknowledged.Count;
        await Poll.UntilAsync(() => _acknowledged.Count >= acknowledgedAtRestart + 200, TimeSpan.FromSeconds(60), "mail accepted after the restart");
        await _stopSubmitting.CancelAsync();
        await Task.WhenAll(clients);

        await Poll.UntilAsync(() => _acknowledged.Keys.All(new HashSet<int>(ClusterMail.Received(_sink)).Contains), TimeSpan.FromSeconds(90),
            "every acknowledged message delivered");

        // Wake-ups across nodes: a message accepted by one node for a domain whose shard the other holds is
        // delivered long before the minute-long due scan would find it.
        foreach (var (accepter, owner) in new[] { ("n1", "n2"), ("n2", "n1") })
        {
            var domain = await _nodes.DomainOwnedByAsync(owner, $"wake-{owner}-");
            var woken = Stopwatch.StartNew();
            await SubmitOneAsync(_nodes.Ports[accepter], 1_000_000 + (owner == "n1" ? 1 : 2), $"user@{domain}");
            await Poll.UntilAsync(() => ClusterMail.Received(_sink).Contains(1_000_000 + (owner == "n1" ? 1 : 2)), TimeSpan.FromSeconds(30),
                $"mail accepted by {accepter} for {owner}'s shard delivered without waiting for the due scan");
            output.WriteLine($"{accepter} to {owner}'s shard delivered in {woken.Elapsed.TotalMilliseconds:F0} ms");
        }

        var received = ClusterMail.Received(_sink);
        output.WriteLine($"{_acknowledged.Count} acknowledged, {Volatile.Read(ref _deferred)} deferred with 451 4.3.0, {Volatile.Read(ref _dropped)} sessions cut; "
            + $"{received.Count} transactions for {received.Distinct().Count()} messages");
        foreach (var (name, node) in _nodes.Running)
        {
            int Lines(string text) => node.Output.Count(line => line.Contains(text, StringComparison.Ordinal));
            output.WriteLine($"{name}: {Lines("Wake-up listener lost its connection")} listener reconnections, {Lines("heartbeat of")} failed heartbeats, "
                + $"{Lines("lapsed before")} leases lapsed, {Lines("spool transaction of")} failed spool batches");
        }
        Assert.All(_nodes.Running.Values, node => Assert.False(node.HasExited, node.OutputText));
        Assert.Empty(_unexpected);
        Assert.True(Volatile.Read(ref _deferred) > 0, "no submission met the outage");
        Assert.Equal("up|up", (await _nodes.QueryAsync("SELECT string_agg(state, '|' ORDER BY name) FROM nodes")).Trim());
        // The last outcomes commit a moment after their delivery; then nothing is left in the spool.
        await Poll.UntilAsync(async () => (await _nodes.QueryAsync("SELECT count(*) FROM recipients")).Trim() == "0", TimeSpan.FromSeconds(60), "an empty spool");
    }

    /// <summary>
    /// A client as a well-behaved MTA is one: each message until it is accepted, trying again after a
    /// 451 or a cut session; every 250 is recorded, as is any reply that is neither.
    /// </summary>
    private async Task SubmitUntilStoppedAsync(int port, int client)
    {
        var stop = _stopSubmitting.Token;
        LineSmtpClient? smtp = null;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                int n = Interlocked.Increment(ref _next);
                var to = ClusterMail.Recipient(n, Domains);
                while (!stop.IsCancellationRequested)
                {
                    string reply;
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
                    timeout.CancelAfter(TimeSpan.FromSeconds(60));
                    try
                    {
                        if (smtp is null)
                        {
                            smtp = await LineSmtpClient.ConnectAsync(port, timeout.Token);
                            await smtp.CommandAsync($"EHLO client{client}.example.com", timeout.Token);
                        }
                        reply = await smtp.SendAsync("app@example.com", [to], ClusterMail.Content(n, to), timeout.Token);
                    }
                    catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException)
                    {
                        // The session was cut or refused mid-transaction: nothing was promised; start again.
                        Interlocked.Increment(ref _dropped);
                        if (ex.Message.StartsWith("expected", StringComparison.Ordinal)) _unexpected.Enqueue(ex.Message);
                        if (smtp is not null) await smtp.DisposeAsync();
                        smtp = null;
                        await Task.Delay(200, CancellationToken.None);
                        continue;
                    }

                    if (reply.StartsWith("250", StringComparison.Ordinal))
                    {
                        _acknowledged[n] = 0;
                        break;
                    }
                    if (reply.StartsWith("451 4.3.0", StringComparison.Ordinal)) Interlocked.Increment(ref _deferred);
                    else _unexpected.Enqueue(reply);
                    await Task.Delay(200, CancellationToken.None);
                }
                // Paced, so delivery keeps up and the outage meets mail both arriving and leaving.
                await Task.Delay(10, CancellationToken.None);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        finally
        {
            if (smtp is not null) await smtp.DisposeAsync();
        }
    }

    private static async Task SubmitOneAsync(int port, int n, string to)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var smtp = await LineSmtpClient.ConnectAsync(port, timeout.Token);
        await smtp.CommandAsync("EHLO wake.example.com", timeout.Token);
        Assert.StartsWith("250", await smtp.SendAsync("app@example.com", [to], ClusterMail.Content(n, to), timeout.Token));
    }

}
