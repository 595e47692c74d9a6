using MtaCluster.Dns.Protocol;
using MtaCluster.Dns.Records;

namespace MtaCluster.Dns.Caching;

/// <summary>Decides how long a response may be reused.</summary>
internal static class CacheLifetimePolicy
{
    /// <returns>The lifetime, or <see cref="TimeSpan.Zero"/> when the response must not be cached.</returns>
    public static TimeSpan GetLifetime(DnsMessage message, LookupClientOptions options)
    {
        if (message.Header.IsTruncated)
        {
            return TimeSpan.Zero;
        }

        switch (message.Header.ResponseCode)
        {
            case DnsResponseCode.NoError when message.Answers.Count > 0:
                return Clamp(TimeSpan.FromSeconds(MinimumTtl(message.Answers)), options.MinimumCacheTtl, options.MaximumCacheTtl);

            case DnsResponseCode.NoError:
            case DnsResponseCode.NameError:
                return NegativeLifetime(message, options);

            case DnsResponseCode.ServerFailure:
                // RFC 2308 §7.1: server failures may be cached, never for more than five minutes.
                return options.ServerFailureCacheTtl > TimeSpan.FromMinutes(5) ? TimeSpan.FromMinutes(5) : options.ServerFailureCacheTtl;

            default:
                return TimeSpan.Zero;
        }
    }

    /// <summary>
    /// RFC 2308 §5: NXDOMAIN and NODATA live for the lesser of the SOA's own TTL and its MINIMUM field;
    /// without an SOA in the authority section the answer is not cached at all.
    /// </summary>
    private static TimeSpan NegativeLifetime(DnsMessage message, LookupClientOptions options)
    {
        IReadOnlyList<DnsResourceRecord> authorities = message.Authorities;
        for (int i = 0; i < authorities.Count; i++)
        {
            if (authorities[i] is SoaRecord soa)
            {
                long seconds = Math.Min((long)soa.TimeToLive, soa.Minimum);
                TimeSpan maximum = options.MaximumNegativeCacheTtl < options.MinimumCacheTtl
                    ? options.MinimumCacheTtl
                    : options.MaximumNegativeCacheTtl;
                return Clamp(TimeSpan.FromSeconds(seconds), options.MinimumCacheTtl, maximum);
            }
        }

        return TimeSpan.Zero;
    }

    private static int MinimumTtl(IReadOnlyList<DnsResourceRecord> records)
    {
        int minimum = int.MaxValue;
        for (int i = 0; i < records.Count; i++)
        {
            if (records[i].TimeToLive < minimum)
            {
                minimum = records[i].TimeToLive;
            }
        }

        return minimum;
    }

    private static TimeSpan Clamp(TimeSpan value, TimeSpan minimum, TimeSpan maximum)
    {
        if (value < minimum)
        {
            return minimum;
        }

        return value > maximum ? maximum : value;
    }
}
