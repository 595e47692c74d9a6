using System.Net;
using System.Net.Sockets;
using MtaCluster.Delivery.Accounting;
using MtaCluster.Delivery.Domains;
using MtaCluster.Smtp.Client.Connection;
using MtaCluster.Testing;

namespace MtaCluster.Delivery.Tests.EndToEnd;

/// <summary><c>Delivery:MaxConnections</c> holds over all domains at the receiver, and a local resource error is the node's problem, not the domain's.</summary>
public sealed class NodeConnectionBudgetTests
{
    [Fact]
    public async Task Five_domains_of_five_connections_each_share_a_node_budget_of_two()
    {
        var open = 0;
        var maxOpen = 0;
        var dialogue = new SmtpDialogue();
        await using var peer = new ScriptedPeer(async (connection, _) =>
        {
            var now = Interlocked.Increment(ref open);
            lock (dialogue) maxOpen = Math.Max(maxOpen, now);
            try { await dialogue.RunAsync(connection); }
            finally { Interlocked.Decrement(ref open); }
        });
        var domains = Enumerable.Range(0, 5).Select(d => $"d{d}.test").ToArray();
        var policy = $"default:\n{DeliveryHarness.FastRetry}\n  max-connections: 5\n  max-messages-per-connection: 2\ndomains:\n" +
                     string.Concat(domains.Select(d => $"  {d}:\n    route: 127.0.0.1:{peer.EndPoint.Port}\n"));
        await using var mta = await DeliveryHarness.StartAsync(policy, peer.EndPoint.Port, configure: o => o.MaxConnections = 2);
        foreach (var d in domains) mta.Engine.Domains.Tell(new SuspendDomain(d));
        var ids = new List<string>();
        foreach (var d in domains)
        {
            for (var i = 0; i < 10; i++) ids.Add(await mta.SubmitAsync("sender@example.com", [$"u{i}@{d}"]));
        }
        // Every domain wants all five of its connections at once.
        foreach (var d in domains) mta.Engine.Domains.Tell(new ResumeDomain(d));

        var records = await mta.Accounting.WaitForAsync(r => ids.Contains(r.MessageId), count: ids.Count, timeout: TimeSpan.FromSeconds(60));
        Assert.All(records, r => Assert.Equal(AccountingRecordType.Delivered, r.Type));
        Assert.Equal(ids.Count, dialogue.Messages.Count);
        Assert.InRange(maxOpen, 1, 2);
        // Two messages per connection: at least 25 connections came and went through two slots.
        Assert.True(peer.Connections.Count >= 25, $"{peer.Connections.Count} connections");
        Assert.Equal(2, mta.Engine.Context.Connections.Capacity);
        await WaitForAsync(() => mta.Engine.Context.Connections.InUse == 0);
    }

    [Fact]
    public async Task Running_out_of_sockets_shrinks_the_node_budget_and_costs_the_domain_no_attempt_and_no_backoff()
    {
        var dialogue = new SmtpDialogue();
        await using var peer = new ScriptedPeer(dialogue);
        var connector = new ShortOfSockets(failures: 3);
        var policy = $"default:\n{DeliveryHarness.FastRetry}\ndomains:\n  short.test:\n    route: 127.0.0.1:{peer.EndPoint.Port}\n";
        await using var mta = await DeliveryHarness.StartAsync(policy, peer.EndPoint.Port, configure: o => o.MaxConnections = 64, connector: connector);
        var budget = mta.Engine.Context.Connections;

        var id = await mta.SubmitAsync("sender@example.com", ["user@short.test"]);

        var record = (await mta.Accounting.WaitForAsync(r => r.MessageId == id))[0];
        Assert.Equal(AccountingRecordType.Delivered, record.Type);
        // The three failed connects were not attempts of the recipient, and no deferral was logged for them.
        Assert.Equal(1, record.Attempt);
        Assert.Single(mta.Accounting.Records);
        Assert.Equal(1, Assert.Single(await mta.RecipientsAsync(id)).Attempts);
        Assert.False((await mta.StatusAsync("short.test")).InBackoff);
        Assert.Equal(3, budget.Shortages);
        Assert.Equal(4, connector.Calls);
        // Halved from what was open at the error (one connection), so down to one; it grows back only with time.
        Assert.True(budget.Limit < budget.Capacity, $"limit {budget.Limit} of {budget.Capacity}");
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(20);
        }
    }

    /// <summary>The machine has no descriptor left for the first few sockets: socket(2) fails with EMFILE.</summary>
    private sealed class ShortOfSockets(int failures) : ISmtpConnector
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public Task<SmtpConnectResult> ConnectAsync(IPEndPoint remote, IPAddress? source, string heloName, string? remoteHostName,
            SmtpClientOptions options, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _calls) <= failures) throw new SocketException((int)SocketError.TooManyOpenSockets);
            return SmtpConnector.Instance.ConnectAsync(remote, source, heloName, remoteHostName, options, cancellationToken);
        }
    }
}
