namespace MtaCluster.Node.Dkim;

/// <summary>The "Dkim" section of node.yaml: which domains sign the mail this node accepts, and with what.</summary>
public sealed class DkimOptions
{
    public const string Section = "Dkim";

    /// <summary>
    /// The signing domain (one listed under <see cref="Domains"/>) for mail whose From domain has no
    /// keys here, nor any parent of it. Such a signature does not align with From. Not set: that mail is not signed.
    /// </summary>
    public string? DefaultDomain { get; set; }

    /// <summary>x= (RFC 6376 §3.5): signatures expire this long after the message was accepted; zero writes no x=.</summary>
    public TimeSpan ExpireAfter { get; set; } = TimeSpan.Zero;

    /// <summary>Signing domains (d=) by name; mail is signed by the one its From domain is, or is under.</summary>
    public Dictionary<string, DkimDomainOptions> Domains { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}
