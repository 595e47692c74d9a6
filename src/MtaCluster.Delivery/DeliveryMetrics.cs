using System.Diagnostics.Metrics;

namespace MtaCluster.Delivery;

/// <summary>
/// The delivery side's instruments (System.Diagnostics.Metrics), exported by the node's admin
/// endpoint. Labels are bounded: the bounce category is one of a fixed set, never a domain.
/// </summary>
public static class DeliveryMetrics
{
    public const string MeterName = "MtaCluster.Delivery";

    private static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> Delivered = Meter.CreateCounter<long>("mta_recipients_delivered", description: "Recipients delivered (accepted by the next hop).");

    public static readonly Counter<long> Deferred = Meter.CreateCounter<long>("mta_recipients_deferred", description: "Attempts that failed temporarily; the recipient stays queued.");

    public static readonly Counter<long> Bounced = Meter.CreateCounter<long>("mta_recipients_bounced", description: "Recipients failed permanently, by bounce category.");

    public static readonly Counter<long> Expired = Meter.CreateCounter<long>("mta_recipients_expired", description: "Recipients whose retry period ran out.");

    public static readonly Counter<long> DsnsSent = Meter.CreateCounter<long>("mta_dsns_sent", description: "Delivery status notifications queued to senders (failure, delay and success reports).");

    public static readonly UpDownCounter<long> OutboundConnections = Meter.CreateUpDownCounter<long>("mta_smtp_outbound_connections", description: "SMTP connections open to receivers.");

    public static readonly Histogram<double> DeliveryLatency = Meter.CreateHistogram<double>("mta_delivery_latency", unit: "s", description: "Duration of one SMTP transaction to a receiver, MAIL to the end of data.");

    public static readonly Histogram<double> TimeInQueue = Meter.CreateHistogram<double>("mta_time_in_queue", unit: "s", description: "From acceptance to a recipient's final outcome (delivered, bounced or expired).");
}
