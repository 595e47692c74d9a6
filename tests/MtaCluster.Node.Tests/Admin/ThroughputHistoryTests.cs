using System.Diagnostics.Metrics;
using MtaCluster.Node.Admin;
using MtaCluster.Testing;
using static MtaCluster.Node.Admin.ThroughputHistory;

namespace MtaCluster.Node.Tests.Admin;

/// <summary>The status page's ring of throughput buckets, on a clock that moves only when told to.</summary>
public sealed class ThroughputHistoryTests
{
    // On a bucket boundary, so "n seconds later" lands in a known bucket.
    private static readonly DateTimeOffset Start = DateTimeOffset.FromUnixTimeSeconds(1_767_225_600);

    private static ThroughputHistory Ring(ManualTimeProvider time) => new(time, TimeSpan.FromSeconds(10), 90, instruments: null);

    [Fact]
    public void Events_count_into_the_bucket_of_their_time_and_the_window_ends_with_the_current_one()
    {
        var time = new ManualTimeProvider(Start);
        using var ring = Ring(time);
        ring.Record(Series.Accepted, 1);
        ring.Record(Series.Accepted, 2);
        ring.Record(Series.Delivered, 1);
        time.Advance(TimeSpan.FromSeconds(9.9));
        ring.Record(Series.Bounced, 1);
        time.Advance(TimeSpan.FromSeconds(0.1));
        ring.Record(Series.Deferred, 4);
        ring.Record(Series.Expired, 1);

        var buckets = ring.Snapshot();
        Assert.Equal(90, buckets.Count);
        Assert.Equal(Start.AddSeconds(10), buckets[^1].Start);
        Assert.Equal(Start.AddSeconds(10 - 15 * 60 + 10), buckets[0].Start);
        Assert.Equal(new ThroughputBucket(Start, 3, 1, 0, 1, 0), buckets[^2]);
        Assert.Equal(new ThroughputBucket(Start.AddSeconds(10), 0, 0, 4, 0, 1), buckets[^1]);
        Assert.All(buckets.SkipLast(2), b => Assert.Equal(new ThroughputBucket(b.Start, 0, 0, 0, 0, 0), b));
    }

    [Fact]
    public void A_quiet_gap_reads_as_zeros_and_a_slot_reused_after_fifteen_minutes_starts_from_zero()
    {
        var time = new ManualTimeProvider(Start);
        using var ring = Ring(time);
        ring.Record(Series.Accepted, 5);
        // Five quiet minutes: the first bucket is still in the window, with zeros after it.
        time.Advance(TimeSpan.FromMinutes(5));
        ring.Record(Series.Accepted, 1);
        var buckets = ring.Snapshot();
        Assert.Equal(5, buckets.Single(b => b.Start == Start).Accepted);
        Assert.Equal(1, buckets[^1].Accepted);
        Assert.Equal(6, buckets.Sum(b => b.Accepted));

        // Fifteen minutes after the first bucket its slot is the current one again: the old count is gone.
        time.Set(Start.AddMinutes(15));
        ring.Record(Series.Accepted, 2);
        buckets = ring.Snapshot();
        Assert.DoesNotContain(buckets, b => b.Start == Start);
        Assert.Equal(new ThroughputBucket(Start.AddMinutes(15), 2, 0, 0, 0, 0), buckets[^1]);
        Assert.Equal(3, buckets.Sum(b => b.Accepted));

        // Twenty quiet minutes later nothing is left in the window, though no event cleared the slots.
        time.Set(Start.AddMinutes(35));
        Assert.All(ring.Snapshot(), b => Assert.Equal(0, b.Accepted));
        Assert.Equal(Start.AddMinutes(35), ring.Snapshot()[^1].Start);
    }

    [Fact]
    public void A_clock_stepped_back_counts_into_the_newest_bucket_instead_of_clearing_it()
    {
        var time = new ManualTimeProvider(Start);
        using var ring = Ring(time);
        ring.Record(Series.Delivered, 1);
        time.Set(Start.AddSeconds(-15 * 60));
        ring.Record(Series.Delivered, 1);
        var buckets = ring.Snapshot();
        Assert.Equal(Start, buckets[^1].Start);
        Assert.Equal(2, buckets[^1].Delivered);
    }

    [Fact]
    public void The_instruments_it_listens_to_feed_it_and_the_bounce_categories_are_summed()
    {
        using var meter = new Meter("MtaCluster.Tests." + Guid.NewGuid().ToString("N"));
        var accepted = meter.CreateCounter<long>("accepted");
        var bounced = meter.CreateCounter<long>("bounced");
        var other = meter.CreateCounter<long>("other");
        var time = new ManualTimeProvider(Start);
        using var ring = new ThroughputHistory(time, TimeSpan.FromSeconds(10), 90, new Dictionary<(string, string), Series>
        {
            [(meter.Name, "accepted")] = Series.Accepted,
            [(meter.Name, "bounced")] = Series.Bounced,
        });
        accepted.Add(2);
        bounced.Add(1, new KeyValuePair<string, object?>("category", "bad-mailbox"));
        bounced.Add(1, new KeyValuePair<string, object?>("category", "spam-related"));
        other.Add(7);
        Assert.Equal(new ThroughputBucket(Start, 2, 0, 0, 2, 0), ring.Snapshot()[^1]);
    }

    [Fact]
    public void The_node_listens_to_the_products_own_counters()
    {
        Assert.Equal(
            ["mta_messages_accepted", "mta_recipients_bounced", "mta_recipients_deferred", "mta_recipients_delivered", "mta_recipients_expired"],
            ProductInstruments.Keys.Select(k => k.Instrument).Order(StringComparer.Ordinal));
        // Each name is an instrument the exporter also shows: a renamed counter would leave the chart flat.
        using var exporter = new PrometheusExporter();
        _ = MtaCluster.Delivery.DeliveryMetrics.Delivered;
        _ = MtaCluster.Node.Spooling.NodeMetrics.Accepted;
        var text = exporter.Scrape([]);
        Assert.All(ProductInstruments.Keys, k => Assert.Contains("# TYPE " + k.Instrument + "_total counter", text));
    }
}
