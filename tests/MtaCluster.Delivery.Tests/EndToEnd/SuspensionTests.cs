using MtaCluster.Delivery.Accounting;
using MtaCluster.Delivery.Domains;
using MtaCluster.Storage;
using MtaCluster.Testing;

namespace MtaCluster.Delivery.Tests.EndToEnd;

/// <summary>An operator's suspension is stored: it holds across a restart until the domain is resumed.</summary>
public sealed class SuspensionTests
{
    private const string Held = "held.test";
    private const string Open = "open.test";

    [Fact]
    public async Task A_suspended_domain_stays_suspended_after_a_restart_and_delivers_once_resumed()
    {
        await using var peer = new ScriptedPeer(new SmtpDialogue());
        var policy = $"default:\n{DeliveryHarness.FastRetry}\n  route: 127.0.0.1:{peer.EndPoint.Port}\n  tls: none\n";
        await using var mta = await DeliveryHarness.StartAsync(policy, peer.EndPoint.Port);

        mta.Engine.Domains.Tell(new SuspendDomain(Held, Reason: "receiver asked for a pause"));
        var suspension = await PollAsync(() => mta.Store.GetDomainSuspensionAsync(Held), s => s is not null);
        Assert.Equal("receiver asked for a pause", suspension!.Reason);
        Assert.Null(suspension.Until);
        var queuedBefore = await mta.SubmitAsync("sender@example.com", ["a@held.test"]);

        await mta.RestartAsync();
        // After the restart: one more message for the suspended domain, then one for another domain.
        var queuedAfter = await mta.SubmitAsync("sender@example.com", ["b@held.test"]);
        var open = await mta.SubmitAsync("sender@example.com", ["c@open.test"]);

        // The other domain's delivery shows the restarted engine at work; the suspended one sent nothing.
        await mta.Accounting.WaitForAsync(r => r.MessageId == open && r.Type == AccountingRecordType.Delivered);
        Assert.True((await mta.StatusAsync(Held)).Suspended);
        foreach (var id in new[] { queuedBefore, queuedAfter })
        {
            var recipient = Assert.Single(await mta.RecipientsAsync(id));
            Assert.Equal((RecipientState.Pending, 0), (recipient.State, recipient.Attempts));
        }
        Assert.DoesNotContain(mta.Accounting.Records, r => r.Recipient.EndsWith("@" + Held, StringComparison.Ordinal));

        mta.Engine.Domains.Tell(new ResumeDomain(Held));
        await mta.Accounting.WaitForAsync(r => (r.MessageId == queuedBefore || r.MessageId == queuedAfter) && r.Type == AccountingRecordType.Delivered, count: 2);
        Assert.Null(await mta.Store.GetDomainSuspensionAsync(Held));
        Assert.False((await mta.StatusAsync(Held)).Suspended);
        Assert.False((await mta.StatusAsync(Open)).Suspended);
    }

    [Fact]
    public async Task A_suspension_with_an_end_lifts_by_itself()
    {
        await using var peer = new ScriptedPeer(new SmtpDialogue());
        var policy = $"default:\n{DeliveryHarness.FastRetry}\n  route: 127.0.0.1:{peer.EndPoint.Port}\n  tls: none\n";
        await using var mta = await DeliveryHarness.StartAsync(policy, peer.EndPoint.Port);

        mta.Engine.Domains.Tell(new SuspendDomain(Held, Until: DateTimeOffset.UtcNow.AddSeconds(1)));
        await PollAsync(() => mta.Store.GetDomainSuspensionAsync(Held), s => s is not null);
        var id = await mta.SubmitAsync("sender@example.com", ["a@held.test"]);
        var record = (await mta.Accounting.WaitForAsync(r => r.MessageId == id && r.Type == AccountingRecordType.Delivered))[0];
        Assert.True(record.Time >= (await mta.Store.GetDomainSuspensionAsync(Held))!.Until, "delivered only once the suspension ended");
    }

    [Fact]
    public async Task A_suspension_written_elsewhere_holds_the_domain_before_word_of_it_comes()
    {
        await using var peer = new ScriptedPeer(new SmtpDialogue());
        var policy = $"default:\n{DeliveryHarness.FastRetry}\n  route: 127.0.0.1:{peer.EndPoint.Port}\n  tls: none\n";
        // Word of it never comes here, and the entity would not read it again by itself for an hour.
        await using var mta = await DeliveryHarness.StartAsync(policy, peer.EndPoint.Port, configure: o => o.SuspensionRecheckInterval = TimeSpan.FromHours(1));
        var first = await mta.SubmitAsync("sender@example.com", ["a@held.test"]);
        await mta.Accounting.WaitForAsync(r => r.MessageId == first && r.Type == AccountingRecordType.Delivered);
        Assert.False((await mta.StatusAsync(Held)).Suspended);

        // As another node's operator command writes it: to the store alone.
        await mta.Store.SuspendDomainAsync(new DomainSuspension(Held, DateTimeOffset.UtcNow, null, "written by another node"));
        var held = await mta.SubmitAsync("sender@example.com", ["b@held.test"]);
        var open = await mta.SubmitAsync("sender@example.com", ["c@open.test"]);

        await mta.Accounting.WaitForAsync(r => r.MessageId == open && r.Type == AccountingRecordType.Delivered);
        // The entity learned of it from the fetch that gave it nothing.
        await PollAsync(async () => (await mta.StatusAsync(Held)).Suspended, suspended => suspended);
        var recipient = Assert.Single(await mta.RecipientsAsync(held));
        Assert.Equal((RecipientState.Pending, 0), (recipient.State, recipient.Attempts));
        Assert.DoesNotContain(mta.Accounting.Records, r => r.MessageId == held);
    }

    private static async Task<T> PollAsync<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            var value = await read();
            if (done(value)) return value;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"still {value}");
            await Task.Delay(20);
        }
    }
}
