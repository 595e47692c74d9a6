using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace MtaCluster.Node.Admin;

/// <summary>
/// Our own exporter of the node's System.Diagnostics.Metrics instruments (meters named MtaCluster.*)
/// in the Prometheus text exposition format 0.0.4: counters as <c>_total</c>, up-down counters as
/// gauges, histograms with fixed buckets as cumulative <c>_bucket</c>/<c>_sum</c>/<c>_count</c>;
/// a unit of "s" gives the name its <c>_seconds</c>. Values read at scrape time (the queue's depth)
/// are passed in as <see cref="Gauge"/>s. Recording costs one dictionary lookup and a short lock of its series.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";
    public const string MeterPrefix = "MtaCluster.";

    // Latencies of a commit or a transaction, 0.5 ms to a minute.
    private static readonly double[] LatencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
    // A recipient's time in the queue, a second to the five days of the default maximum age.
    private static readonly double[] QueueBuckets = [1, 10, 60, 300, 900, 3600, 4 * 3600, 12 * 3600, 86400, 3 * 86400, 5 * 86400];

    /// <summary>Counters whose every measurement carries labels: no unlabelled zero series is shown for them.</summary>
    private static readonly HashSet<string> Labelled = ["mta_recipients_bounced"];

    /// <summary>A value read at scrape time.</summary>
    public sealed record Gauge(string Name, string Help, IReadOnlyList<(string Labels, double Value)> Samples);

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, Family> _families = new();

    public PrometheusExporter()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (!instrument.Meter.Name.StartsWith(MeterPrefix, StringComparison.Ordinal)) return;
            var family = _families.GetOrAdd(instrument, i => new Family(i));
            if (!Labelled.Contains(instrument.Name) && family.Kind != Kind.Histogram) family.Cell(ReadOnlySpan<KeyValuePair<string, object?>>.Empty);
            listener.EnableMeasurementEvents(instrument, family);
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, state) => ((Family)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>((_, value, tags, state) => ((Family)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>((_, value, tags, state) => ((Family)state!).Record(value, tags));
        _listener.Start();
    }

    /// <summary>The whole exposition: every instrument's family, then <paramref name="gauges"/>.</summary>
    public string Scrape(IEnumerable<Gauge> gauges)
    {
        var text = new StringBuilder(4096);
        foreach (var family in _families.Values.OrderBy(f => f.Name, StringComparer.Ordinal)) family.Write(text);
        foreach (var gauge in gauges)
        {
            Header(text, gauge.Name, gauge.Help, "gauge");
            foreach (var (labels, value) in gauge.Samples) Sample(text, gauge.Name, labels, value);
        }
        return text.ToString();
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>A label set as written: <c>{a="x",b="y"}</c>, keys in order, values escaped (0.0.4: backslash, quote, newline).</summary>
    public static string Labels(params (string Key, string Value)[] labels)
    {
        if (labels.Length == 0) return "";
        var text = new StringBuilder("{");
        foreach (var (key, value) in labels.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            if (text.Length > 1) text.Append(',');
            text.Append(key).Append("=\"").Append(value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n")).Append('"');
        }
        return text.Append('}').ToString();
    }

    private static void Header(StringBuilder text, string name, string help, string type)
    {
        text.Append("# HELP ").Append(name).Append(' ').Append(help.Replace("\\", "\\\\").Replace("\n", "\\n")).Append('\n');
        text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
    }

    private static void Sample(StringBuilder text, string name, string labels, double value) =>
        text.Append(name).Append(labels).Append(' ').Append(Number(value)).Append('\n');

    private static string Number(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf" : double.IsNegativeInfinity(value) ? "-Inf" : double.IsNaN(value) ? "NaN"
        : value.ToString("R", CultureInfo.InvariantCulture);

    private enum Kind { Counter, Gauge, Histogram }

    private sealed class Family
    {
        private readonly ConcurrentDictionary<string, Cell> _cells = new(StringComparer.Ordinal);
        private readonly double[] _bounds = [];
        private readonly string _help;

        public Family(Instrument instrument)
        {
            var type = instrument.GetType();
            Kind = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Counter<>) ? Kind.Counter
                : type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Histogram<>) ? Kind.Histogram
                : Kind.Gauge;
            var name = instrument.Name + (instrument.Unit == "s" ? "_seconds" : "");
            Name = Kind == Kind.Counter ? name + "_total" : name;
            _help = instrument.Description ?? instrument.Name;
            if (Kind == Kind.Histogram) _bounds = instrument.Name == "mta_time_in_queue" ? QueueBuckets : LatencyBuckets;
        }

        public Kind Kind { get; }

        public string Name { get; }

        public Cell Cell(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var key = tags.IsEmpty ? "" : Key(tags);
            return _cells.TryGetValue(key, out var cell) ? cell : _cells.GetOrAdd(key, _ => new Cell(_bounds.Length));
        }

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var cell = Cell(tags);
            if (Kind != Kind.Histogram)
            {
                cell.Add(value);
                return;
            }
            var bucket = 0;
            while (bucket < _bounds.Length && value > _bounds[bucket]) bucket++;
            cell.Observe(bucket, value);
        }

        public void Write(StringBuilder text)
        {
            Header(text, Name, _help, Kind switch { Kind.Counter => "counter", Kind.Histogram => "histogram", _ => "gauge" });
            foreach (var (labels, cell) in _cells.OrderBy(c => c.Key, StringComparer.Ordinal))
            {
                if (Kind != Kind.Histogram)
                {
                    Sample(text, Name, labels, cell.Value);
                    continue;
                }
                var (buckets, sum, count) = cell.Snapshot();
                long cumulative = 0;
                for (var i = 0; i < _bounds.Length; i++)
                {
                    cumulative += buckets[i];
                    Sample(text, Name + "_bucket", WithLe(labels, Number(_bounds[i])), cumulative);
                }
                Sample(text, Name + "_bucket", WithLe(labels, "+Inf"), count);
                Sample(text, Name + "_sum", labels, sum);
                Sample(text, Name + "_count", labels, count);
            }
        }

        private static string WithLe(string labels, string le) =>
            labels.Length == 0 ? $"{{le=\"{le}\"}}" : $"{labels[..^1]},le=\"{le}\"}}";

        private static string Key(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var pairs = new (string, string)[tags.Length];
            for (var i = 0; i < tags.Length; i++) pairs[i] = (tags[i].Key, Convert.ToString(tags[i].Value, CultureInfo.InvariantCulture) ?? "");
            return Labels(pairs);
        }
    }

    private sealed class Cell(int bounds)
    {
        private readonly long[] _buckets = new long[bounds + 1];
        private readonly Lock _lock = new();
        private double _value;
        private long _count;

        public double Value
        {
            get { lock (_lock) return _value; }
        }

        public void Add(double value)
        {
            lock (_lock) _value += value;
        }

        public void Observe(int bucket, double value)
        {
            lock (_lock)
            {
                _buckets[bucket]++;
                _value += value;
                _count++;
            }
        }

        /// <summary>Buckets, sum and count from one moment, so the +Inf bucket always equals the count.</summary>
        public (long[] Buckets, double Sum, long Count) Snapshot()
        {
            lock (_lock) return ((long[])_buckets.Clone(), _value, _count);
        }
    }
}
