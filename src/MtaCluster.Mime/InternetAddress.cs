namespace MtaCluster.Mime;

/// <summary>A mailbox or a group (RFC 5322 §3.4), as MimeKit names them.</summary>
public abstract class InternetAddress
{
    protected InternetAddress(string? name) => Name = name ?? string.Empty;

    /// <summary>The display name, encoded words decoded.</summary>
    public string Name { get; }

    /// <summary>The address as a header carries it; non-ASCII names become UTF-8 encoded words unless <paramref name="utf8"/> (RFC 6532).</summary>
    public abstract string ToString(bool utf8);

    public override string ToString() => ToString(utf8: false);

    /// <summary>A display name as a phrase: atoms as they are, quoted where specials need it, encoded words for non-ASCII.</summary>
    protected static string FormatPhrase(string name, bool utf8)
    {
        if (!utf8 && Rfc2047.NeedsEncoding(name))
        {
            return Rfc2047.Encode(name, 'B');
        }

        bool atoms = name.All(c => c > ' ' && c != 0x7F && !"()<>[]:;@\\,.\"".Contains(c) || c == ' ');
        return atoms && !name.StartsWith(' ') && !name.EndsWith(' ') && !name.Contains("  ", StringComparison.Ordinal)
            ? name
            : "\"" + name.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
    }
}
