using Microsoft.Extensions.Logging.Abstractions;
using MtaCluster.Delivery.Domains;
using MtaCluster.Delivery.Policies;
using MtaCluster.Delivery.Tenants;
using MtaCluster.Testing;

namespace MtaCluster.Delivery.Tests.Tenants;

/// <summary>
/// What a tenant has used of its limits outlives whatever asks for them again: a domain entity made
/// anew after passivation, a scheduler rebuilt after a reload, a reloaded rate.
/// </summary>
public sealed class TenantLimitsKeptTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Burst = TimeSpan.FromSeconds(10);

    private static DeliveryContext Context(ManualTimeProvider time) =>
        new(null!, null!, new DomainPolicyHolder(DomainPolicyLoader.Parse("default: {}\n")), null!, new DeliveryOptions(), NullLoggerFactory.Instance, time);

    [Fact]
    public void A_tenant_limiter_asked_for_again_is_the_same_one_with_the_tokens_it_has_spent()
    {
        var time = new ManualTimeProvider(T0);
        var context = Context(time);
        var limits = new TenantRateLimits(null, 1);

        var first = context.TenantLimiter("mx:rollup", "acme", limits, Burst)!;
        Assert.True(first.TryTake(T0, null, out _));
        // Another domain of the group, or the same domain's next incarnation: no fresh burst.
        var again = context.TenantLimiter("mx:rollup", "acme", limits, Burst)!;
        Assert.Same(first, again);
        Assert.False(again.CanTake(T0));
        // A reloaded, higher rate takes effect on the credit already used, not on a full bucket.
        var reloaded = context.TenantLimiter("mx:rollup", "acme", new TenantRateLimits(null, 720), Burst)!;
        Assert.Same(first, reloaded);
        Assert.False(reloaded.CanTake(T0));
        Assert.True(reloaded.CanTake(T0 + TimeSpan.FromSeconds(5)));
        // Another group or another tenant counts on its own.
        Assert.True(context.TenantLimiter("other.test", "acme", limits, Burst)!.CanTake(T0));
        Assert.True(context.TenantLimiter("mx:rollup", "shop", limits, Burst)!.CanTake(T0));
        Assert.Null(context.TenantLimiter("mx:rollup", "free", new TenantRateLimits(null, null), Burst));
    }

    [Fact]
    public void A_tenants_hourly_bucket_keeps_what_the_hour_used_when_its_limit_is_reloaded()
    {
        var time = new ManualTimeProvider(T0);
        var context = Context(time);
        var bucket = context.TenantBucket(new Tenant("acme", 1, MtaCluster.Mail.DeliveryLane.Bulk, 1))!;
        Assert.True(bucket.TryTake(T0, out _));
        var reloaded = context.TenantBucket(new Tenant("acme", 3, MtaCluster.Mail.DeliveryLane.Bulk, 720))!;
        Assert.Same(bucket, reloaded);
        Assert.Equal(0, reloaded.Available(T0));
        Assert.Equal(1, reloaded.Available(T0 + TimeSpan.FromSeconds(5)));
    }
}
