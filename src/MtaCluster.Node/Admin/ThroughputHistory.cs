using System.Diagnostics.Metrics;
using MtaCluster.Delivery;
using MtaCluster.Node.Spooling;

namespace MtaCluster.Node.Admin;

/// <summary>
/// This node's throughput over the last minutes, for the status page's chart: a ring of fixed time
/// buckets (10 s × 90 = 15 minutes by default) counting accepted messages and delivered, deferred,
/// bounced and expired recipients. It listens to the same System.Diagnostics.Metrics instruments
/// /metrics exports, so the hot path gains no counter of its own: each measurement costs a volatile
/// read and an Interlocked add, plus a short lock once per bucket to clear the slot it reuses.
/// </summary>
public sealed class ThroughputHistory : IDisposable
{
    public const int DefaultBucketSeconds = 10;
    public const int DefaultBucketCount = 90;

    public enum Series { Accepted = 0, Delivered = 1, Deferred = 2, Bounced = 3, Expired = 4 }

    private const int SeriesCount = 5;

    /// <summary>The instruments counted, by meter and instrument name (the bounce counter's categories are summed).</summary>
    public static readonly IReadOnlyDictionary<(string Meter, string Instrument), Series> ProductInstruments =
        new Dictionary<(string, string), Series>
        {
            [(NodeMetrics.MeterName, "mta_messages_accepted")] = Series.Accepted,
            [(DeliveryMetrics.MeterName, "mta_recipients_delivered")] = Series.Delivered,
            [(DeliveryMetrics.MeterName, "mta_recipients_deferred")] = Series.Deferred,
            [(DeliveryMetrics.MeterName, "mta_recipients_bounced")] = Series.Bounced,
            [(DeliveryMetrics.MeterName, "mta_recipients_expired")] = Series.Expired,
        };

    private readonly TimeProvider _time;
    private readonly long _bucketMs;
    private readonly int _count;
    // Slot i holds the bucket whose number (ms since the epoch / bucket length) is _numbers[i];
    // a slot whose number is not the one asked for holds an older bucket, which reads as zero.
    private readonly long[] _numbers;
    private readonly long[] _counts;
    private readonly Lock _rollover = new();
    private readonly MeterListener? _listener;
    // The newest bucket started: a wall clock stepped backwards keeps counting into it rather than
    // clearing a newer slot for an older time.
    private long _latest = long.MinValue;

    /// <param name="instruments">What to listen to; null listens to nothing (events come through <see cref="Record"/>).</param>
    public ThroughputHistory(TimeProvider time, TimeSpan bucket, int count,
        IReadOnlyDictionary<(string Meter, string Instrument), Series>? instruments)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bucket, TimeSpan.FromSeconds(1));
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 2);
        _time = time;
        _bucketMs = (long)bucket.TotalMilliseconds;
        _count = count;
        _numbers = new long[count];
        Array.Fill(_numbers, long.MinValue);
        _counts = new long[count * SeriesCount];
        if (instruments is null) return;

        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instruments.TryGetValue((instrument.Meter.Name, instrument.Name), out var series))
                    listener.EnableMeasurementEvents(instrument, series);
            },
        };
        _listener.SetMeasurementEventCallback<long>((_, value, _, state) => Record((Series)state!, value));
        _listener.SetMeasurementEventCallback<int>((_, value, _, state) => Record((Series)state!, value));
        _listener.Start();
    }

    /// <summary>The node's history: 10 s buckets over 15 minutes, fed by the product's instruments.</summary>
    public static ThroughputHistory ForNode(TimeProvider time) =>
        new(time, TimeSpan.FromSeconds(DefaultBucketSeconds), DefaultBucketCount, ProductInstruments);

    public int BucketSeconds => (int)(_bucketMs / 1000);

    public void Record(Series series, long value)
    {
        if (value <= 0) return;
        var number = Math.Max(_time.GetUtcNow().ToUnixTimeMilliseconds() / _bucketMs, Volatile.Read(ref _latest));
        var slot = (int)(number % _count);
        if (Volatile.Read(ref _numbers[slot]) != number) Start(slot, number);
        Interlocked.Add(ref _counts[slot * SeriesCount + (int)series], value);
    }

    /// <summary>The window ending with the current (partial) bucket, oldest first: every bucket listed, zeros where nothing happened.</summary>
    public IReadOnlyList<ThroughputBucket> Snapshot()
    {
        var now = Math.Max(_time.GetUtcNow().ToUnixTimeMilliseconds() / _bucketMs, Volatile.Read(ref _latest));
        var buckets = new List<ThroughputBucket>(_count);
        for (var number = now - _count + 1; number <= now; number++)
        {
            var slot = (int)(((number % _count) + _count) % _count);
            var start = DateTimeOffset.FromUnixTimeMilliseconds(number * _bucketMs);
            if (Volatile.Read(ref _numbers[slot]) != number)
            {
                buckets.Add(new ThroughputBucket(start, 0, 0, 0, 0, 0));
                continue;
            }
            var at = slot * SeriesCount;
            buckets.Add(new ThroughputBucket(start,
                Volatile.Read(ref _counts[at + (int)Series.Accepted]),
                Volatile.Read(ref _counts[at + (int)Series.Delivered]),
                Volatile.Read(ref _counts[at + (int)Series.Deferred]),
                Volatile.Read(ref _counts[at + (int)Series.Bounced]),
                Volatile.Read(ref _counts[at + (int)Series.Expired])));
        }
        return buckets;
    }

    public void Dispose() => _listener?.Dispose();

    private void Start(int slot, long number)
    {
        lock (_rollover)
        {
            if (_numbers[slot] == number) return;
            // Cleared before the number is published, so an add that sees the new number lands on zeros.
            for (var s = 0; s < SeriesCount; s++) Volatile.Write(ref _counts[slot * SeriesCount + s], 0);
            Volatile.Write(ref _numbers[slot], number);
            if (number > _latest) Volatile.Write(ref _latest, number);
        }
    }
}

public sealed record ThroughputBucket(DateTimeOffset Start, long Accepted, long Delivered, long Deferred, long Bounced, long Expired);

public sealed record ThroughputView(int BucketSeconds, string Node, IReadOnlyList<ThroughputBucket> Buckets);
