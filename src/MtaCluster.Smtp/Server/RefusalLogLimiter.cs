namespace MtaCluster.Smtp.Server;

/// <summary>
/// Bounds how many refusal lines reach the log: a token bucket per <see cref="RefusalKind"/> holding
/// <c>linesPerSecond</c> tokens and refilled at that rate, so an attack of a million refusals costs a
/// few lines a second and one count of what was left out.
/// </summary>
/// <remarks>
/// Only a refusal touches it; a session that is never refused never reads it. Each bucket is kept as
/// the generic cell rate algorithm's "theoretical arrival time" (ITU-T I.371), which is a token
/// bucket in one <see cref="long"/>: taking a token is one compare-and-swap, with no lock and no
/// allocation, however many sessions are refused at once.
/// </remarks>
public sealed class RefusalLogLimiter
{
    private readonly Bucket[] _buckets = new Bucket[RefusalKindNames.Count];
    private readonly TimeProvider _time;
    private readonly long _interval;
    private readonly long _burst;

    /// <param name="linesPerSecond">Lines per second and kind, also the burst; 0 or less: no limit.</param>
    public RefusalLogLimiter(int linesPerSecond, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        if (linesPerSecond > 0)
        {
            // In the time provider's monotonic timestamps, not wall-clock ticks: a clock stepped back by
            // NTP would otherwise put every bucket's next token in the future and silence the log.
            _interval = Math.Max(1, _time.TimestampFrequency / linesPerSecond);
            _burst = _interval * linesPerSecond;
        }
    }

    /// <summary>
    /// Asks to log one refusal of <paramref name="kind"/>. True: log it, and when <paramref name="suppressed"/>
    /// is above zero, first say that that many were left out in the <paramref name="over"/> before.
    /// False: leave it out; it is counted for the next line that is logged.
    /// </summary>
    public bool TryAcquire(RefusalKind kind, out long suppressed, out TimeSpan over)
    {
        suppressed = 0;
        over = TimeSpan.Zero;
        if (_interval == 0) return true;
        ref var bucket = ref _buckets[(int)kind];
        long now = _time.GetTimestamp();
        while (true)
        {
            long arrival = Volatile.Read(ref bucket.TheoreticalArrival);
            long next = Math.Max(arrival, now) + _interval;
            if (next - now > _burst)
            {
                Interlocked.Increment(ref bucket.Suppressed);
                return false;
            }
            if (Interlocked.CompareExchange(ref bucket.TheoreticalArrival, next, arrival) == arrival) break;
        }
        long previous = Interlocked.Exchange(ref bucket.LastLogged, now);
        if (Volatile.Read(ref bucket.Suppressed) == 0) return true;
        suppressed = Interlocked.Exchange(ref bucket.Suppressed, 0);
        over = previous == 0 ? TimeSpan.Zero : _time.GetElapsedTime(previous, now);
        return true;
    }

    private struct Bucket
    {
        public long TheoreticalArrival;
        public long Suppressed;
        public long LastLogged;
    }
}
