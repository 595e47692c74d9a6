using System.Diagnostics.Metrics;

namespace MtaCluster.Smtp.Server;

/// <summary>The SMTP server's instruments, exported by the node's admin endpoint.</summary>
public static class SmtpServerMetrics
{
    public const string MeterName = "MtaCluster.Smtp";

    private static readonly Meter Meter = new(MeterName);

    public static readonly UpDownCounter<long> InboundConnections = Meter.CreateUpDownCounter<long>("mta_smtp_inbound_connections", description: "SMTP client connections open to this node.");
}
