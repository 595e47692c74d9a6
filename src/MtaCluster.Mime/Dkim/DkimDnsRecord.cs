using System.Text;

namespace MtaCluster.Mime.Dkim;

/// <summary>The key record as a zone file line (RFC 6376 §3.6.2.2): one TXT record, its value cut into quoted strings of at most 255 octets (RFC 1035 §3.3.14).</summary>
public static class DkimDnsRecord
{
    public const int MaxStringLength = 255;

    public static string ZoneLine(string domain, string selector, string value)
    {
        var line = new StringBuilder($"{selector}._domainkey.{domain.TrimEnd('.')}. IN TXT");
        for (var at = 0; at < value.Length; at += MaxStringLength)
        {
            line.Append(" \"").Append(value.AsSpan(at, Math.Min(MaxStringLength, value.Length - at))).Append('"');
        }
        return line.ToString();
    }
}
