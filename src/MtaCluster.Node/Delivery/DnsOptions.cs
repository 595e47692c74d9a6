using MtaCluster.Dns;
using MtaCluster.Dns.Configuration;

namespace MtaCluster.Node.Delivery;

/// <summary>The "Dns" section of node.yaml.</summary>
public sealed class DnsOptions
{
    public const string Section = "Dns";

    /// <summary>Resolvers as host:port ("127.0.0.1:53", "[::1]:53"); empty means the servers of /etc/resolv.conf.</summary>
    public List<string>? Servers { get; set; }

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(3);

    public int Retries { get; set; } = 2;

    public TimeSpan MinimumCacheTtl { get; set; } = TimeSpan.Zero;

    public TimeSpan MaximumCacheTtl { get; set; } = TimeSpan.FromDays(1);

    public int CacheSize { get; set; } = 10_000;

    /// <summary>Route resolutions (MX, then addresses) running at once, node-wide; the others wait their turn.</summary>
    public int MaxConcurrentLookups { get; set; } = MtaCluster.Delivery.Domains.MailRouteResolver.DefaultMaxConcurrentLookups;

    public LookupClientOptions ToLookupClientOptions()
    {
        var options = new LookupClientOptions
        {
            Timeout = Timeout,
            Retries = Retries,
            MinimumCacheTtl = MinimumCacheTtl,
            MaximumCacheTtl = MaximumCacheTtl,
            CacheSize = CacheSize,
        };
        foreach (var server in Servers ?? []) options.NameServers.Add(NameServerEndpoint.Parse(server));
        return options;
    }
}
