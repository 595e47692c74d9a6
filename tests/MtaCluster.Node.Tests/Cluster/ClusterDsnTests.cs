using System.Text;
using System.Text.RegularExpressions;
using MtaCluster.Testing;
using Xunit.Abstractions;

namespace MtaCluster.Node.Tests.Cluster;

/// <summary>
/// A message whose recipients' domains belong to shards of three different nodes: two are delivered,
/// one is refused for good. The owner of the message's shard decides its completion from the store,
/// whichever nodes delivered, so the sender gets exactly one failure DSN, naming only the refused
/// recipient (the delivered ones asked for nothing: NOTIFY's default).
/// </summary>
public sealed partial class ClusterDsnTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Messages = 5;

    private readonly string _dir = Directory.CreateTempSubdirectory("mta-cluster-dsn-").FullName;
    // Every message the receiver accepted, the DSNs among them.
    private readonly List<string> _received = [];
    private PostgresServer _postgres = null!;
    private ScriptedPeer _peer = null!;
    private ClusterNodes _nodes = null!;

    public async Task InitializeAsync()
    {
        _postgres = await PostgresServer.StartNewAsync();
        var connectionString = await _postgres.CreateDatabaseAsync();
        _peer = new ScriptedPeer((connection, _) => ReceiveAsync(connection));
        var domains = await NodeConfig.WriteRouteToAsync(Path.Combine(_dir, "domains.yaml"), _peer.EndPoint.Port);
        _nodes = new ClusterNodes(_dir, _postgres, connectionString, domains);
    }

    public async Task DisposeAsync()
    {
        await _nodes.DisposeAsync();
        await _peer.DisposeAsync();
        await _postgres.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task A_message_whose_recipients_three_nodes_deliver_gets_exactly_one_failure_dsn_naming_only_the_refused_recipient()
    {
        await Task.WhenAll(_nodes.StartAsync("n1"), _nodes.StartAsync("n2"), _nodes.StartAsync("n3"));
        await Poll.UntilAsync(() => _nodes.SettledAsync("n1", "n2", "n3"), TimeSpan.FromSeconds(60), "three nodes share the shards evenly");
        var first = await _nodes.DomainOwnedByAsync("n1", "first");
        var second = await _nodes.DomainOwnedByAsync("n2", "second");
        var failing = await _nodes.DomainOwnedByAsync("n3", "failing");
        output.WriteLine($"{first} on n1, {second} on n2, {failing} on n3");

        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            await using var smtp = await LineSmtpClient.ConnectAsync(_nodes.Ports["n1"], timeout.Token);
            await smtp.CommandAsync("EHLO app.home.test", timeout.Token);
            for (int n = 0; n < Messages; n++)
            {
                var content = Encoding.ASCII.GetBytes(
                    $"From: <app@home.test>\r\nTo: <ok{n}@{first}>, <ok{n}@{second}>, <fail{n}@{failing}>\r\nSubject: cluster {n}\r\n" +
                    $"Message-ID: <orig-{n}@home.test>\r\n\r\nmessage {n}\r\n");
                var reply = await smtp.SendAsync("app@home.test", [$"ok{n}@{first}", $"ok{n}@{second}", $"fail{n}@{failing}"], content, timeout.Token);
                Assert.StartsWith("250", reply);
            }
        }

        // Done when the spool holds nothing: every original complete and removed, every DSN delivered.
        await Poll.UntilAsync(async () => Dsns().Count >= Messages
            && (await _nodes.QueryAsync("SELECT count(*) FROM recipients")).Trim() == "0"
            && (await _nodes.QueryAsync("SELECT count(*) FROM messages")).Trim() == "0", TimeSpan.FromSeconds(90), "every message complete and its DSN sent");
        // A second DSN from another node would come from the same store state: give it a few beats to show up.
        await Task.Delay(TimeSpan.FromSeconds(3));

        var originals = Received().Where(text => !text.Contains("report-type=delivery-status", StringComparison.OrdinalIgnoreCase)).ToList();
        var dsns = Dsns();
        output.WriteLine($"{originals.Count} originals delivered, {dsns.Count} DSNs");
        // Two copies of each message, one per delivered recipient's domain (each domain is its own transaction).
        Assert.Equal(Messages * 2, originals.Count);
        Assert.Equal(Enumerable.Range(0, Messages).Select(n => $"orig-{n}@home.test").Order(),
            dsns.Select(dsn => OriginalId().Match(dsn).Groups[1].Value).Order());
        foreach (var dsn in dsns)
        {
            int n = int.Parse(OriginalId().Match(dsn).Groups[1].Value.Split('-', '@')[1]);
            var finalRecipients = FinalRecipient().Matches(dsn).Select(m => m.Groups[1].Value.Trim()).ToList();
            Assert.Equal([$"fail{n}@{failing}"], finalRecipients);
            Assert.Contains("Action: failed", dsn, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("5.1.1", dsn);
        }
    }

    /// <summary>
    /// One receiver for every domain, the sender's too: it refuses the failing recipients at RCPT and,
    /// as a real server does, the DATA of a transaction with no recipient accepted.
    /// </summary>
    private Task ReceiveAsync(PeerConnection connection)
    {
        bool anyAccepted = false;
        SmtpDialogue dialogue = null!;
        dialogue = new SmtpDialogue
        {
            OnCommand = line =>
            {
                if (line.StartsWith("MAIL", StringComparison.OrdinalIgnoreCase)) anyAccepted = false;
                if (line.StartsWith("RCPT TO:<fail", StringComparison.OrdinalIgnoreCase)) return "550 5.1.1 No such user here\r\n";
                if (line.StartsWith("RCPT", StringComparison.OrdinalIgnoreCase)) anyAccepted = true;
                if (line.StartsWith("DATA", StringComparison.OrdinalIgnoreCase) && !anyAccepted) return "554 5.5.1 No valid recipients\r\n";
                return null;
            },
            AfterData = async peer =>
            {
                lock (_received) lock (dialogue.Messages) _received.Add(Encoding.UTF8.GetString(dialogue.Messages[^1]));
                await peer.SendAsync("250 2.0.0 Ok: queued\r\n");
            },
        };
        return dialogue.RunAsync(connection);
    }

    private List<string> Received()
    {
        lock (_received) return [.. _received];
    }

    private List<string> Dsns() => Received().Where(text => text.Contains("report-type=delivery-status", StringComparison.OrdinalIgnoreCase)).ToList();


    [GeneratedRegex(@"Message-ID: <(orig-\d+@home\.test)>")]
    private static partial Regex OriginalId();

    [GeneratedRegex(@"^Final-Recipient: *rfc822; *([^\r\n]+)", RegexOptions.Multiline | RegexOptions.IgnoreCase)]
    private static partial Regex FinalRecipient();
}
