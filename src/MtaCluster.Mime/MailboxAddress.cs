namespace MtaCluster.Mime;

/// <summary>One mailbox: an optional display name, an addr-spec, and an obsolete source route if one was given (RFC 5322 §4.4).</summary>
public sealed class MailboxAddress : InternetAddress
{
    public MailboxAddress(string? name, string address, IReadOnlyList<string>? route = null)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(address);
        Address = address;
        Route = route ?? [];
    }

    /// <summary>local-part@domain, quoted local parts kept quoted.</summary>
    public string Address { get; }

    /// <summary>The domains of an obs-route ("@a,@b:"), without the "@"; empty for modern addresses.</summary>
    public IReadOnlyList<string> Route { get; }

    public string LocalPart => Address.LastIndexOf('@') is var at and > 0 ? Address[..at] : Address;

    public string Domain => Address.LastIndexOf('@') is var at and >= 0 ? Address[(at + 1)..] : string.Empty;

    public override string ToString(bool utf8)
    {
        string route = Route.Count > 0 ? string.Join(',', Route.Select(d => "@" + d)) + ":" : string.Empty;
        if (Name.Length == 0)
        {
            return route.Length == 0 ? Address : $"<{route}{Address}>";
        }

        return $"{FormatPhrase(Name, utf8)} <{route}{Address}>";
    }
}
