using MtaCluster.Actors;
using MtaCluster.Delivery.Accounting;
using MtaCluster.Delivery.Domains;
using MtaCluster.Testing;

namespace MtaCluster.Delivery.Tests.EndToEnd;

/// <summary>The node-wide cap on active domains, with real entities delivering to a real peer.</summary>
public sealed class ActiveDomainCapTests
{
    [Fact]
    public async Task Past_the_cap_a_domain_waits_and_gets_its_turn_when_the_active_one_is_done_not_after_its_idle_connections_time_out()
    {
        await using var peer = new ScriptedPeer(new SmtpDialogue());
        var policy = $"default:\n{DeliveryHarness.FastRetry}\n  route: 127.0.0.1:{peer.EndPoint.Port}\n  tls: none\n";
        // Kept connections would hold the only slot for a minute, far past the test's wait.
        await using var mta = await DeliveryHarness.StartAsync(policy, peer.EndPoint.Port, configure: o =>
        {
            o.MaxActiveDomains = 1;
            o.ConnectionIdleTimeout = TimeSpan.FromMinutes(1);
        });

        // One message for three domains: all three ask for a slot at once, before any connects.
        await mta.SubmitAsync("sender@example.com", ["a@first.test", "b@second.test", "c@third.test"]);

        var records = await mta.Accounting.WaitForAsync(r => r.Type == AccountingRecordType.Delivered, count: 3);
        // One domain at a time, in the order they asked, the one slot handed on as each finished.
        Assert.Equal(["first.test", "second.test", "third.test"], records.OrderBy(r => r.Time).Select(r => r.Domain));
        var state = await mta.Engine.Scheduler.Ask<ScheduledWakes>(GetScheduledWakes.Instance, TimeSpan.FromSeconds(5));
        Assert.Equal(0, state.Waiting);
        Assert.InRange(state.Active.Count, 0, 1);
        Assert.Equal(3, peer.Connections.Count);
    }

    [Fact]
    public async Task A_domain_whose_spool_reads_fail_gives_its_slot_back_so_the_others_deliver()
    {
        await using var peer = new ScriptedPeer(new SmtpDialogue());
        var policy = $"default:\n{DeliveryHarness.FastRetry}\n  route: 127.0.0.1:{peer.EndPoint.Port}\n  tls: none\n";
        await using var mta = await DeliveryHarness.StartAsync(policy, peer.EndPoint.Port, configure: o => o.MaxActiveDomains = 1, wrapStore: store =>
        {
            var (wrapped, faults) = FaultInjectingStore.Wrap(store);
            // Everything the broken domain's entity asks of the spool fails, from its start on.
            faults.Fault = (method, args) => args.Length > 0 && args[0] is "broken.test"
                ? new IOException($"disk I/O error in {method}")
                : null;
            return wrapped;
        });

        await mta.SubmitAsync("sender@example.com", ["a@broken.test"]);
        await mta.SubmitAsync("sender@example.com", ["b@working.test"]);

        // With the only slot kept by the entity that cannot read the spool, this would never arrive.
        var delivered = await mta.Accounting.WaitForAsync(r => r.Type == AccountingRecordType.Delivered, count: 1);
        Assert.Equal("working.test", Assert.Single(delivered).Domain);
    }
}
