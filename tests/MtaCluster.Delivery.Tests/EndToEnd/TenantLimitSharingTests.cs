using MtaCluster.Delivery.Accounting;
using MtaCluster.Testing;

namespace MtaCluster.Delivery.Tests.EndToEnd;

/// <summary>
/// A tenant's limit under an MX pattern holds for the pattern's throttle group as a whole (PowerMTA's
/// MX rollup), as the group's own rate does: two domains behind one MX share the tenant's
/// allowance, rather than each domain's entity counting its own.
/// </summary>
public sealed class TenantLimitSharingTests(MailDnsFixture dns) : IClassFixture<MailDnsFixture>
{
    [Fact]
    public async Task A_tenant_limit_under_an_MX_pattern_is_shared_by_the_domains_of_the_group()
    {
        var dialogue = new SmtpDialogue();
        await using var peer = new ScriptedPeer(dialogue);
        // Burst 1 and the next token in an hour: exactly one of the tenant's messages may leave.
        var policy = "default:\n" + DeliveryHarness.FastRetry + "\n" +
                     "mx-patterns:\n  - name: rollup\n    match: [\"mx.rollup.test\"]\n    tenants:\n      acme: { max-messages-per-hour: 1 }\n";
        await using var mta = await DeliveryHarness.StartAsync(policy, peer.EndPoint.Port, dns.Dns.EndPoint);

        var limited = new List<string>();
        foreach (var domain in new[] { "rollup-a.test", "rollup-b.test" })
        {
            for (var i = 0; i < 2; i++) limited.Add((await mta.SubmitMessageAsync("app@example.com", [$"acme{i}@{domain}"], tenant: "acme")).Id);
        }
        // Another tenant's mail to both domains, delivered while acme's waits: by then each domain has
        // had its turns at acme's queue.
        var others = new List<string>();
        foreach (var domain in new[] { "rollup-a.test", "rollup-b.test" })
        {
            for (var i = 0; i < 3; i++) others.Add((await mta.SubmitMessageAsync("app@example.com", [$"free{i}@{domain}"], tenant: "free")).Id);
        }
        await mta.Accounting.WaitForAsync(r => others.Contains(r.MessageId) && r.Type == AccountingRecordType.Delivered, count: others.Count);
        // And one more of the free tenant's after acme's first has had time to go: a barrier, not a wait.
        var last = await mta.SubmitAsync("app@example.com", ["last@rollup-b.test"]);
        await mta.Accounting.WaitForAsync(r => r.MessageId == last && r.Type == AccountingRecordType.Delivered);

        var delivered = mta.Accounting.Records.Where(r => limited.Contains(r.MessageId) && r.Type == AccountingRecordType.Delivered).ToArray();
        Assert.Single(delivered);
        var waiting = 0;
        foreach (var id in limited)
            waiting += (await mta.RecipientsAsync(id)).Count(r => r.State == MtaCluster.Storage.RecipientState.Pending && r.Attempts == 0);
        Assert.Equal(limited.Count - 1, waiting);
    }
}
