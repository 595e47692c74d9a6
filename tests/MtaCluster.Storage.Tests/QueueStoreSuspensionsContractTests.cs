using MtaCluster.Mail;

namespace MtaCluster.Storage.Tests;

/// <summary>
/// The suspensions in force, as the status page lists them, and as the queries that hand work out read
/// them. Part of <see cref="QueueStoreContractTests"/>.
/// </summary>
public abstract partial class QueueStoreContractTests
{
    [Fact]
    public async Task The_suspended_domains_are_those_in_force_by_name_up_to_the_limit()
    {
        var store = await OpenStoreAsync();
        var now = T0.AddHours(1);
        Assert.Empty(await store.GetSuspendedDomainsAsync(now, 10));

        await store.SuspendDomainAsync(new DomainSuspension("b-open-ended.test", T0, null, "abuse complaint"));
        await store.SuspendDomainAsync(new DomainSuspension("a-until-later.test", T0, now.AddMinutes(30), "receiver asked us to stop"));
        // Ended a minute ago, and ending this very moment: neither is in force, though neither was resumed.
        await store.SuspendDomainAsync(new DomainSuspension("c-ended.test", T0, now.AddMinutes(-1)));
        await store.SuspendDomainAsync(new DomainSuspension("d-ends-now.test", T0, now));
        await store.SuspendDomainAsync(new DomainSuspension("e-resumed.test", T0));
        await store.ResumeDomainAsync("e-resumed.test");

        var listed = await store.GetSuspendedDomainsAsync(now, 10);
        Assert.Equal(
        [
            new DomainSuspension("a-until-later.test", T0, now.AddMinutes(30), "receiver asked us to stop"),
            new DomainSuspension("b-open-ended.test", T0, null, "abuse complaint"),
        ], listed);
        Assert.Equal(["a-until-later.test"], (await store.GetSuspendedDomainsAsync(now, 1)).Select(s => s.Domain));
        // Half an hour on, the one with an end has ended.
        Assert.Equal(["b-open-ended.test"], (await store.GetSuspendedDomainsAsync(now.AddMinutes(30), 10)).Select(s => s.Domain));
        // Earlier, the ended ones were in force.
        Assert.Equal(4, (await store.GetSuspendedDomainsAsync(now.AddMinutes(-2), 10)).Count);
    }

    [Fact]
    public async Task A_suspended_domains_due_recipients_are_not_handed_out_until_it_is_resumed_or_its_suspension_ends()
    {
        var store = await OpenStoreAsync();
        var message = Message(T0, Rcpt("a@held.test"), Rcpt("b@held.test"), Rcpt("c@other.test"));
        await store.EnqueueAsync(message);
        var now = T0.AddMinutes(1);
        async Task<string[]> DueAsync(string domain, DateTimeOffset at) =>
            [.. (await store.GetDueRecipientsForDomainAsync(domain, DeliveryLane.Bulk, SpoolMessage.DefaultTenant, at, 10)).Select(r => r.Address).Order()];
        Assert.Equal(["a@held.test", "b@held.test"], await DueAsync("held.test", now));

        // Whatever an entity last heard, the rows are not given out while the suspension is in force.
        await store.SuspendDomainAsync(new DomainSuspension("held.test", now, now.AddHours(1), "maintenance"));
        Assert.Empty(await DueAsync("held.test", now));
        Assert.Empty(await store.GetDueRecipientsForDomainAsync("held.test", now, 10));
        Assert.Equal(["c@other.test"], await DueAsync("other.test", now));
        // Its end is its own: an hour on, they are due again without a resume.
        Assert.Equal(["a@held.test", "b@held.test"], await DueAsync("held.test", now.AddHours(1)));

        await store.SuspendDomainAsync(new DomainSuspension("held.test", now, null, "until resumed"));
        Assert.Empty(await DueAsync("held.test", now.AddDays(30)));
        await store.ResumeDomainAsync("held.test");
        Assert.Equal(["a@held.test", "b@held.test"], await DueAsync("held.test", now));
        Assert.Equal(2, (await store.GetDueRecipientsForDomainAsync("held.test", now, 10)).Count);
    }
}
