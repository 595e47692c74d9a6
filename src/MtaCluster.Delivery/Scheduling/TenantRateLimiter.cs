using MtaCluster.Delivery.Policies;
using MtaCluster.Delivery.Throttling;

namespace MtaCluster.Delivery.Scheduling;

/// <summary>
/// A tenant's limits at one destination or throttle group (<see cref="TenantRateLimits"/> from
/// domains.yaml) as token buckets: a send needs a token of each, and takes them only when both have
/// one. The buckets hold the destination's burst window of their rate, as <see cref="DomainThrottle"/>'s
/// do. Thread-safe: the domains of an MX-rollup group share one limiter from their entities' threads
/// (<see cref="Domains.DeliveryContext.TenantLimiter"/>).
/// </summary>
public sealed class TenantRateLimiter
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    private readonly Lock _gate = new();
    private TokenBucket? _perMinute;
    private TokenBucket? _perHour;

    private TenantRateLimiter(TokenBucket? perMinute, TokenBucket? perHour)
    {
        _perMinute = perMinute;
        _perHour = perHour;
    }

    /// <summary>The limiter for <paramref name="limits"/>; null when they are unlimited, so an unlimited tenant costs nothing per send.</summary>
    public static TenantRateLimiter? Create(TenantRateLimits limits, TimeSpan burstWindow, DateTimeOffset now)
    {
        if (limits.IsUnlimited) return null;
        return new TenantRateLimiter(Bucket(null, limits.MaxMessagesPerMinute, Minute, burstWindow, now), Bucket(null, limits.MaxMessagesPerHour, Hour, burstWindow, now));
    }

    /// <summary>
    /// Takes reloaded limits, keeping the credit each bucket has earned (a reload, or an entity made
    /// again after passivation, hands out no fresh burst); a newly limited rate starts full.
    /// </summary>
    public void Reshape(TenantRateLimits limits, TimeSpan burstWindow, DateTimeOffset now)
    {
        lock (_gate)
        {
            _perMinute = Bucket(_perMinute, limits.MaxMessagesPerMinute, Minute, burstWindow, now);
            _perHour = Bucket(_perHour, limits.MaxMessagesPerHour, Hour, burstWindow, now);
        }
    }

    public bool CanTake(DateTimeOffset now)
    {
        lock (_gate) return CanTakeUnlocked(now);
    }

    /// <summary>How long until a send is admitted: the longer of the two buckets' waits.</summary>
    public TimeSpan TimeUntilAvailable(DateTimeOffset now)
    {
        lock (_gate) return TimeUntilAvailableUnlocked(now);
    }

    /// <summary>Takes one token of each bucket; call only after <see cref="CanTake"/> said yes.</summary>
    public void Take(DateTimeOffset now)
    {
        lock (_gate) TakeUnlocked(now);
    }

    /// <summary>
    /// One token of each bucket and one of <paramref name="alsoFrom"/> (the tenant's own limit), all
    /// or none, as one step: domains of one group racing for the last token cannot both get it, and a
    /// refusal by either limit never spends the other's token.
    /// </summary>
    public bool TryTake(DateTimeOffset now, SharedTokenBucket? alsoFrom, out TimeSpan wait)
    {
        lock (_gate)
        {
            if (!CanTakeUnlocked(now))
            {
                wait = TimeUntilAvailableUnlocked(now);
                return false;
            }
            if (alsoFrom is not null && !alsoFrom.TryTake(now, out wait)) return false;
            TakeUnlocked(now);
            wait = TimeSpan.Zero;
            return true;
        }
    }

    private bool CanTakeUnlocked(DateTimeOffset now) => (_perMinute?.Available(now) ?? 1) >= 1 && (_perHour?.Available(now) ?? 1) >= 1;

    private TimeSpan TimeUntilAvailableUnlocked(DateTimeOffset now)
    {
        var minute = _perMinute?.TimeUntilAvailable(now) ?? TimeSpan.Zero;
        var hour = _perHour?.TimeUntilAvailable(now) ?? TimeSpan.Zero;
        return minute > hour ? minute : hour;
    }

    private void TakeUnlocked(DateTimeOffset now)
    {
        _perMinute?.TryTake(now);
        _perHour?.TryTake(now);
    }

    private static TokenBucket? Bucket(TokenBucket? existing, int? rate, TimeSpan period, TimeSpan burstWindow, DateTimeOffset now)
    {
        if (rate is not int r) return null;
        var capacity = new ThrottleLimits(0, null, null, null, burstWindow).BurstFor(r, period);
        if (existing is null) return new TokenBucket(capacity, r, period, now);
        if (existing.Capacity != capacity || existing.TokensPerPeriod != r) existing.Reconfigure(capacity, r, period, now);
        return existing;
    }
}
