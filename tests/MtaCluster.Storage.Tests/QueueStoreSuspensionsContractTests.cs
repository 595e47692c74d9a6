namespace MtaCluster.Storage.Tests;

/// <summary>The suspensions in force, as the status page lists them. Part of <see cref="QueueStoreContractTests"/>.</summary>
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
}
