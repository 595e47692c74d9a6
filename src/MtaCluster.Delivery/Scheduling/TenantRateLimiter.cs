using MtaCluster.Delivery.Policies;
using MtaCluster.Delivery.Throttling;

namespace MtaCluster.Delivery.Scheduling;

/// <summary>
/// A tenant's limits at one destination (<see cref="TenantRateLimits"/> from domains.yaml) as token
/// buckets: a send needs a token of each, and takes them only when both have one. The buckets hold
/// the destination's burst window of their rate, as <see cref="DomainThrottle"/>'s do. Not
/// thread-safe: one destination's scheduler owns it.
/// </summary>
public sealed class TenantRateLimiter
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    private readonly TokenBucket? _perMinute;
    private readonly TokenBucket? _perHour;

    private TenantRateLimiter(TokenBucket? perMinute, TokenBucket? perHour)
    {
        _perMinute = perMinute;
        _perHour = perHour;
    }

    /// <summary>The limiter for <paramref name="limits"/>; null when they are unlimited, so an unlimited tenant costs nothing per send.</summary>
    public static TenantRateLimiter? Create(TenantRateLimits limits, TimeSpan burstWindow, DateTimeOffset now)
    {
        if (limits.IsUnlimited) return null;
        var burst = new ThrottleLimits(0, null, null, null, burstWindow);
        return new TenantRateLimiter(Bucket(limits.MaxMessagesPerMinute, Minute), Bucket(limits.MaxMessagesPerHour, Hour));

        TokenBucket? Bucket(int? rate, TimeSpan period) => rate is int r ? new TokenBucket(burst.BurstFor(r, period), r, period, now) : null;
    }

    public bool CanTake(DateTimeOffset now) => (_perMinute?.Available(now) ?? 1) >= 1 && (_perHour?.Available(now) ?? 1) >= 1;

    /// <summary>How long until a send is admitted: the longer of the two buckets' waits.</summary>
    public TimeSpan TimeUntilAvailable(DateTimeOffset now)
    {
        var minute = _perMinute?.TimeUntilAvailable(now) ?? TimeSpan.Zero;
        var hour = _perHour?.TimeUntilAvailable(now) ?? TimeSpan.Zero;
        return minute > hour ? minute : hour;
    }

    /// <summary>Takes one token of each bucket; call only after <see cref="CanTake"/> said yes.</summary>
    public void Take(DateTimeOffset now)
    {
        _perMinute?.TryTake(now);
        _perHour?.TryTake(now);
    }
}
