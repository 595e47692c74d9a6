namespace MtaCluster.Dns.MailRouting;

public sealed class MailHostResolverOptions
{
    /// <summary>Source for shuffling MX hosts of equal preference (RFC 5321 §5.1 asks for randomisation).</summary>
    public Random Random { get; set; } = Random.Shared;

    public bool UseIPv6 { get; set; } = true;

    public bool UseIPv4 { get; set; } = true;

    /// <summary>
    /// MX targets resolved at most, after sorting; bounds the lookups a hostile domain with
    /// hundreds of MX records can cause.
    /// </summary>
    public int MaximumMailHosts { get; set; } = 16;
}
