namespace MtaCluster.Dns.MailRouting;

/// <summary>Enhanced status codes (RFC 3463, RFC 7505) that mail routing produces.</summary>
public static class MailRoutingStatusCodes
{
    public const string Success = "2.0.0";

    /// <summary>Bad destination system address: the domain does not exist or has no usable syntax.</summary>
    public const string BadDestinationSystem = "5.1.2";

    /// <summary>RFC 7505 §4.3: the domain published a null MX and accepts no mail.</summary>
    public const string NullMx = "5.1.10";

    /// <summary>Directory server failure: DNS timed out or answered SERVFAIL / REFUSED.</summary>
    public const string DirectoryServerFailure = "4.4.3";

    /// <summary>Unable to route: MX records exist but none of their hosts has an address right now.</summary>
    public const string UnableToRoute = "4.4.4";
}
