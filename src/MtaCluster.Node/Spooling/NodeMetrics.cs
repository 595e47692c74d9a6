using System.Diagnostics.Metrics;

namespace MtaCluster.Node.Spooling;

/// <summary>The accepting side's instruments, exported by the node's admin endpoint.</summary>
public static class NodeMetrics
{
    public const string MeterName = "MtaCluster.Node";

    private static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> Accepted = Meter.CreateCounter<long>("mta_messages_accepted", description: "Messages accepted (answered 250 after their spool commit).");

    public static readonly Histogram<double> AcceptLatency = Meter.CreateHistogram<double>("mta_accept_latency", unit: "s",
        description: "From the end of a message's data to its durable spool commit (signing included): the wait before the 250.");
}
