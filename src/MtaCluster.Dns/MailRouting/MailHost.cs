using System.Net;

namespace MtaCluster.Dns.MailRouting;

/// <summary>One SMTP server to try, in the order RFC 5321 §5.1 prescribes.</summary>
public sealed class MailHost
{
    public MailHost(string hostName, ushort preference, IReadOnlyList<IPAddress> addresses, bool isImplicit)
    {
        HostName = hostName;
        Preference = preference;
        Addresses = addresses;
        IsImplicit = isImplicit;
    }

    /// <summary>Host name without the trailing dot, as used in SMTP and TLS name checks.</summary>
    public string HostName { get; }

    public ushort Preference { get; }

    /// <summary>IPv6 addresses first, then IPv4, each in the order the server returned them.</summary>
    public IReadOnlyList<IPAddress> Addresses { get; }

    /// <summary>True when the domain has no MX and its own address records stand in (RFC 5321 §5.1).</summary>
    public bool IsImplicit { get; }

    public override string ToString() => $"{HostName} (pref {Preference}): {string.Join(", ", Addresses)}";
}
