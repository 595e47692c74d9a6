using System.Net;
using MtaCluster.Dns.Configuration;

namespace MtaCluster.Dns;

/// <summary>Settings for <see cref="LookupClient"/>. Defaults suit a host with a local recursive resolver.</summary>
public sealed class LookupClientOptions
{
    public const int DefaultUdpPayloadSize = 1232;

    /// <summary>
    /// Servers asked in rotation. Empty means the <c>nameserver</c> lines of /etc/resolv.conf.
    /// Use <see cref="NameServerEndpoint.ParseList"/> to fill it from <c>host:port</c> strings.
    /// </summary>
    public IList<IPEndPoint> NameServers { get; set; } = new List<IPEndPoint>();

    /// <summary>Time allowed for one attempt against one server (UDP, or the TCP retry after TC).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Extra rounds over the server list after the first one when a server times out.</summary>
    public int Retries { get; set; } = 2;

    /// <summary>Retry over TCP when a UDP answer has TC set (RFC 7766 §5).</summary>
    public bool UseTcpFallback { get; set; } = true;

    /// <summary>Skip UDP entirely.</summary>
    public bool UseTcpOnly { get; set; }

    /// <summary>
    /// EDNS(0) UDP payload size advertised (RFC 6891 §6.2.5). 1232 avoids IP fragmentation on
    /// common paths (DNS Flag Day 2020).
    /// </summary>
    public ushort UdpPayloadSize { get; set; } = DefaultUdpPayloadSize;

    /// <summary>
    /// Set AD in queries so that a validating resolver reports whether it validated (RFC 6840 §5.7);
    /// DANE (RFC 7672) needs that signal.
    /// </summary>
    public bool RequestAuthenticData { get; set; } = true;

    public bool UseCache { get; set; } = true;

    /// <summary>Lower bound on cached lifetimes; lifts TTL 0 answers into the cache when non-zero.</summary>
    public TimeSpan MinimumCacheTtl { get; set; } = TimeSpan.Zero;

    /// <summary>Upper bound on positive cache lifetimes.</summary>
    public TimeSpan MaximumCacheTtl { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Upper bound on NXDOMAIN / NODATA lifetimes; RFC 2308 §5 suggests one to three hours.</summary>
    public TimeSpan MaximumNegativeCacheTtl { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// How long a SERVFAIL answer is remembered. Zero (the default) means never, so the next
    /// delivery attempt asks again; RFC 2308 §7.1 allows up to five minutes.
    /// </summary>
    public TimeSpan ServerFailureCacheTtl { get; set; } = TimeSpan.Zero;

    /// <summary>Maximum cached answers; the least recently used entry is evicted beyond it.</summary>
    public int CacheSize { get; set; } = 10_000;

    /// <summary>Clock for cache expiry; replace in tests.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    internal void Validate()
    {
        if (Timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(Timeout), Timeout, "Timeout must be positive.");
        }

        if (Retries < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Retries), Retries, "Retries cannot be negative.");
        }

        if (CacheSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(CacheSize), CacheSize, "CacheSize must be at least 1.");
        }

        if (MinimumCacheTtl < TimeSpan.Zero || MaximumCacheTtl < MinimumCacheTtl)
        {
            throw new ArgumentOutOfRangeException(nameof(MinimumCacheTtl), "Cache TTL bounds must satisfy 0 <= minimum <= maximum.");
        }

        if (UdpPayloadSize < 512)
        {
            throw new ArgumentOutOfRangeException(nameof(UdpPayloadSize), UdpPayloadSize, "RFC 6891 §6.2.5: values below 512 are treated as 512.");
        }

        ArgumentNullException.ThrowIfNull(TimeProvider);
        ArgumentNullException.ThrowIfNull(NameServers);
    }
}
