using System.Globalization;

namespace MtaCluster.Mail;

/// <summary>The form of a domain that mail is routed and sharded by.</summary>
public static class RoutingDomain
{
    /// <summary>Lower-case A-label form of a domain, or null if it is not a valid IDN.</summary>
    public static string? From(string domain)
    {
        bool ascii = true;
        foreach (char c in domain) if (c > 127) { ascii = false; break; }
        if (ascii) return domain.ToLowerInvariant();
        try
        {
            // IdnMapping makes no thread-safety promise; one per call is cheap and only on the non-ASCII path.
            return new IdnMapping { UseStd3AsciiRules = true }.GetAscii(domain).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>The routing domain of an address's part after its last <c>@</c>, or null when it has none or it is not a valid IDN.</summary>
    public static string? OfAddress(string address)
    {
        var at = address.LastIndexOf('@');
        return at < 0 || at == address.Length - 1 ? null : From(address[(at + 1)..]);
    }
}
