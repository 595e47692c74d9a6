namespace MtaCluster.Delivery.Throttling;

/// <summary>
/// Concurrency and rate limits for one throttle group (a destination domain, or every domain sharing an
/// MX pattern): connection slots, a new-connections-per-minute bucket, and per-minute and per-hour
/// message buckets. Mirrors PowerMTA's <c>max-smtp-out</c>, <c>max-conn-rate</c> and <c>max-msg-rate</c>.
/// </summary>
/// <remarks>
/// Exact because a throttle group is owned by exactly one shard owner in the cluster. The lock only guards
/// against misuse; the owning entity already processes one message at a time.
/// </remarks>
public sealed class DomainThrottle
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    private readonly TimeProvider _clock;
    private readonly object _gate = new();
    private TokenBucket? _perMinute;
    private TokenBucket? _perHour;
    private TokenBucket? _newConnections;
    private int _activeConnections;

    public DomainThrottle(ThrottleLimits limits, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(limits);
        _clock = clock ?? TimeProvider.System;
        Limits = limits;
        var now = _clock.GetUtcNow();
        _perMinute = CreateBucket(limits.MaxMessagesPerMinute, Minute, limits, now);
        _perHour = CreateBucket(limits.MaxMessagesPerHour, Hour, limits, now);
        _newConnections = CreateBucket(limits.MaxNewConnectionsPerMinute, Minute, limits, now);
    }

    public ThrottleLimits Limits { get; private set; }

    public int ActiveConnections
    {
        get { lock (_gate) { return _activeConnections; } }
    }

    /// <summary>
    /// Takes a connection slot and a new-connection token if both are free. The caller must pair a
    /// successful call with <see cref="ReleaseConnection"/> when the connection closes or fails to open.
    /// </summary>
    public bool TryAcquireConnection()
    {
        lock (_gate)
        {
            if (_activeConnections >= Limits.MaxConnections)
            {
                return false;
            }

            if (_newConnections is not null && !_newConnections.TryTake(_clock.GetUtcNow()))
            {
                return false;
            }

            _activeConnections++;
            return true;
        }
    }

    public void ReleaseConnection()
    {
        lock (_gate)
        {
            if (_activeConnections == 0)
            {
                throw new InvalidOperationException("ReleaseConnection called with no connection held.");
            }

            _activeConnections--;
        }
    }

    /// <summary>
    /// Takes <paramref name="count"/> message tokens from every message bucket, or from none: a message
    /// admitted by the per-minute bucket but refused by the per-hour one must not use up minute credit.
    /// A <paramref name="count"/> larger than a bucket's burst is never admitted; take one per message.
    /// </summary>
    public bool TryTakeMessage(int count = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        lock (_gate)
        {
            var now = _clock.GetUtcNow();
            if (WaitFor(_perMinute, now, count) > TimeSpan.Zero || WaitFor(_perHour, now, count) > TimeSpan.Zero)
            {
                return false;
            }

            _perMinute?.TryTake(now, count);
            _perHour?.TryTake(now, count);
            return true;
        }
    }

    /// <summary>The earliest time a message token is available in every message bucket (now, if it already is).</summary>
    public DateTimeOffset NextAvailableAt()
    {
        lock (_gate)
        {
            var now = _clock.GetUtcNow();
            return Add(now, Max(WaitFor(_perMinute, now, 1), WaitFor(_perHour, now, 1)));
        }
    }

    /// <summary>
    /// The earliest time a new connection may be opened, or null when every slot is taken and only a
    /// <see cref="ReleaseConnection"/> can free one.
    /// </summary>
    public DateTimeOffset? NextConnectionAvailableAt()
    {
        lock (_gate)
        {
            if (_activeConnections >= Limits.MaxConnections)
            {
                return null;
            }

            var now = _clock.GetUtcNow();
            return Add(now, WaitFor(_newConnections, now, 1));
        }
    }

    /// <summary>
    /// Applies new limits (a backoff stepping down or recovering) without resetting the credit already
    /// earned. Connections already open above a lowered maximum stay open; no new one is admitted until
    /// enough have been released.
    /// </summary>
    public void UpdateLimits(ThrottleLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        lock (_gate)
        {
            var now = _clock.GetUtcNow();
            _perMinute = Reconfigure(_perMinute, limits.MaxMessagesPerMinute, Minute, limits, now);
            _perHour = Reconfigure(_perHour, limits.MaxMessagesPerHour, Hour, limits, now);
            _newConnections = Reconfigure(_newConnections, limits.MaxNewConnectionsPerMinute, Minute, limits, now);
            Limits = limits;
        }
    }

    private static TokenBucket? CreateBucket(int? rate, TimeSpan period, ThrottleLimits limits, DateTimeOffset now) =>
        rate is int r ? new TokenBucket(limits.BurstFor(r, period), r, period, now) : null;

    private static TokenBucket? Reconfigure(TokenBucket? bucket, int? rate, TimeSpan period, ThrottleLimits limits, DateTimeOffset now)
    {
        if (rate is not int r)
        {
            return null;
        }

        if (bucket is null)
        {
            return CreateBucket(rate, period, limits, now);
        }

        bucket.Reconfigure(limits.BurstFor(r, period), r, period, now);
        return bucket;
    }

    private static TimeSpan WaitFor(TokenBucket? bucket, DateTimeOffset now, int count) =>
        bucket?.TimeUntilAvailable(now, count) ?? TimeSpan.Zero;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static DateTimeOffset Add(DateTimeOffset now, TimeSpan wait) =>
        wait == TimeSpan.MaxValue ? DateTimeOffset.MaxValue : now + wait;
}
