namespace MtaCluster.Node.Admin;

/// <summary>The "Admin" section of node.yaml: the node's admin endpoint (JSON API, Prometheus metrics).</summary>
public sealed class AdminOptions
{
    public const string Section = "Admin";

    /// <summary>Serve the admin endpoint at all.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Where it listens, address:port (an IPv6 address in brackets). "0", or a port of 0, takes a free
    /// port, which the start-up log names.
    /// </summary>
    public string Listen { get; set; } = "127.0.0.1:9110";

    /// <summary>The bearer token every request must carry. Not set: the one in admin.token in the data dir, made on first start.</summary>
    public string? Token { get; set; }

    /// <summary>Serve /metrics without the token, for a Prometheus that scrapes without credentials.</summary>
    public bool PublicMetrics { get; set; }
}
