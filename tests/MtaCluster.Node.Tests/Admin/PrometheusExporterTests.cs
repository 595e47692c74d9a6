using System.Diagnostics.Metrics;
using MtaCluster.Node.Admin;

namespace MtaCluster.Node.Tests.Admin;

/// <summary>The exporter's text: names, types, zero series, label escaping, cumulative buckets.</summary>
public sealed class PrometheusExporterTests
{
    [Fact]
    public void Counters_gauges_and_histograms_are_written_in_the_text_format()
    {
        using var meter = new Meter(PrometheusExporter.MeterPrefix + "Tests." + Guid.NewGuid().ToString("N"));
        using var exporter = new PrometheusExporter();
        var accepted = meter.CreateCounter<long>("t_accepted", description: "Accepted.");
        var open = meter.CreateUpDownCounter<long>("t_open", description: "Open.");
        var latency = meter.CreateHistogram<double>("t_latency", unit: "s", description: "Latency.");
        meter.CreateCounter<long>("t_never", description: "Never counted.");

        accepted.Add(2);
        accepted.Add(3);
        open.Add(1);
        open.Add(1);
        open.Add(-1);
        latency.Record(0.0007);
        latency.Record(0.3);
        latency.Record(120);

        var text = exporter.Scrape([new PrometheusExporter.Gauge("t_depth", "Depth.", [(PrometheusExporter.Labels(("state", "a\"b\\c\nd")), 7)])]);
        Assert.Contains("# TYPE t_accepted_total counter\nt_accepted_total 5\n", text);
        Assert.Contains("# TYPE t_never_total counter\nt_never_total 0\n", text);
        Assert.Contains("# TYPE t_open gauge\nt_open 1\n", text);
        Assert.Contains("# TYPE t_latency_seconds histogram\n", text);
        Assert.Contains("t_latency_seconds_bucket{le=\"0.0005\"} 0\n", text);
        Assert.Contains("t_latency_seconds_bucket{le=\"0.001\"} 1\n", text);
        Assert.Contains("t_latency_seconds_bucket{le=\"0.5\"} 2\n", text);
        Assert.Contains("t_latency_seconds_bucket{le=\"60\"} 2\n", text);
        Assert.Contains("t_latency_seconds_bucket{le=\"+Inf\"} 3\n", text);
        Assert.Contains("t_latency_seconds_count 3\n", text);
        Assert.Contains("t_latency_seconds_sum 120.3007\n", text);
        Assert.Contains("t_depth{state=\"a\\\"b\\\\c\\nd\"} 7\n", text);
    }

    [Fact]
    public void A_labelled_measurement_is_a_series_of_its_own_with_its_labels_in_order()
    {
        using var meter = new Meter(PrometheusExporter.MeterPrefix + "Tests." + Guid.NewGuid().ToString("N"));
        using var exporter = new PrometheusExporter();
        var bounced = meter.CreateCounter<long>("t_bounced");
        bounced.Add(1, new KeyValuePair<string, object?>("z", "1"), new KeyValuePair<string, object?>("category", "bad-mailbox"));
        bounced.Add(1, new KeyValuePair<string, object?>("category", "bad-mailbox"), new KeyValuePair<string, object?>("z", "1"));
        bounced.Add(1, new KeyValuePair<string, object?>("category", "spam-related"), new KeyValuePair<string, object?>("z", "1"));
        var text = exporter.Scrape([]);
        Assert.Contains("t_bounced_total{category=\"bad-mailbox\",z=\"1\"} 2\n", text);
        Assert.Contains("t_bounced_total{category=\"spam-related\",z=\"1\"} 1\n", text);
    }

    [Fact]
    public void Meters_outside_the_products_namespace_are_not_exported()
    {
        using var meter = new Meter("Someone.Else." + Guid.NewGuid().ToString("N"));
        using var exporter = new PrometheusExporter();
        meter.CreateCounter<long>("t_foreign").Add(1);
        Assert.DoesNotContain("t_foreign", exporter.Scrape([]));
    }
}
