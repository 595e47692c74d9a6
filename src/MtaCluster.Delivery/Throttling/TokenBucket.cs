namespace MtaCluster.Delivery.Throttling;

/// <summary>
/// A token bucket refilled at <c>tokensPerPeriod</c> per <c>period</c>, holding at most <c>capacity</c>
/// tokens. Time is passed in explicitly so the owner decides which clock drives it.
/// </summary>
/// <remarks>
/// Credit is kept as an integer count of "token-ticks": one token costs <c>period.Ticks</c> units and every
/// elapsed tick adds <c>tokensPerPeriod</c> units. Integer arithmetic keeps the rate exact at any boundary
/// (60 per minute admits a token every 10,000,000 ticks, never one tick early), which floating point
/// accumulation would not. The class is not thread-safe; its owner serialises access.
/// </remarks>
public sealed class TokenBucket
{
    private Int128 _units;
    private Int128 _capacityUnits;
    private long _periodTicks;
    private long _lastTicks;

    public TokenBucket(int capacity, int tokensPerPeriod, TimeSpan period, DateTimeOffset now, int? initialTokens = null)
    {
        Validate(capacity, tokensPerPeriod, period);
        Capacity = capacity;
        TokensPerPeriod = tokensPerPeriod;
        Period = period;
        _periodTicks = period.Ticks;
        _capacityUnits = (Int128)capacity * _periodTicks;
        var initial = initialTokens ?? capacity;
        ArgumentOutOfRangeException.ThrowIfNegative(initial, nameof(initialTokens));
        _units = Int128.Min((Int128)initial * _periodTicks, _capacityUnits);
        _lastTicks = now.UtcTicks;
    }

    /// <summary>A bucket of <paramref name="perMinute"/> tokens per minute with <paramref name="burst"/> capacity.</summary>
    public static TokenBucket PerMinute(int perMinute, int burst, DateTimeOffset now) =>
        new(burst, perMinute, TimeSpan.FromMinutes(1), now);

    /// <summary>A bucket of <paramref name="perHour"/> tokens per hour with <paramref name="burst"/> capacity.</summary>
    public static TokenBucket PerHour(int perHour, int burst, DateTimeOffset now) =>
        new(burst, perHour, TimeSpan.FromHours(1), now);

    public int Capacity { get; private set; }

    public int TokensPerPeriod { get; private set; }

    public TimeSpan Period { get; private set; }

    /// <summary>Whole tokens available at <paramref name="now"/>.</summary>
    public int Available(DateTimeOffset now)
    {
        Refill(now);
        return (int)(_units / _periodTicks);
    }

    public bool TryTake(DateTimeOffset now, int count = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        Refill(now);
        var cost = (Int128)count * _periodTicks;
        if (_units < cost)
        {
            return false;
        }

        _units -= cost;
        return true;
    }

    /// <summary>
    /// How long until <paramref name="count"/> tokens are available; zero when they are now.
    /// <see cref="TimeSpan.MaxValue"/> when <paramref name="count"/> exceeds the capacity, because it never will be.
    /// </summary>
    public TimeSpan TimeUntilAvailable(DateTimeOffset now, int count = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        if (count > Capacity)
        {
            return TimeSpan.MaxValue;
        }

        Refill(now);
        var missing = (Int128)count * _periodTicks - _units;
        if (missing <= 0)
        {
            return TimeSpan.Zero;
        }

        var ticks = (missing + TokensPerPeriod - 1) / TokensPerPeriod;
        return TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>
    /// Changes capacity and rate while keeping the credit already earned (clamped to the new capacity),
    /// so a backoff that lowers the rate does not hand out a fresh burst.
    /// </summary>
    public void Reconfigure(int capacity, int tokensPerPeriod, TimeSpan period, DateTimeOffset now)
    {
        Validate(capacity, tokensPerPeriod, period);
        Refill(now);
        var newPeriodTicks = period.Ticks;
        var units = _units * newPeriodTicks / _periodTicks;
        Capacity = capacity;
        TokensPerPeriod = tokensPerPeriod;
        Period = period;
        _periodTicks = newPeriodTicks;
        _capacityUnits = (Int128)capacity * newPeriodTicks;
        _units = Int128.Min(units, _capacityUnits);
    }

    private void Refill(DateTimeOffset now)
    {
        var nowTicks = now.UtcTicks;
        var elapsed = nowTicks - _lastTicks;
        if (elapsed <= 0)
        {
            // A clock that steps backwards must not mint or destroy credit.
            return;
        }

        _lastTicks = nowTicks;
        var missing = _capacityUnits - _units;
        if (missing <= 0)
        {
            return;
        }

        var added = (Int128)elapsed * TokensPerPeriod;
        _units = added >= missing ? _capacityUnits : _units + added;
    }

    private static void Validate(int capacity, int tokensPerPeriod, TimeSpan period)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tokensPerPeriod);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(period, TimeSpan.Zero);
    }
}
