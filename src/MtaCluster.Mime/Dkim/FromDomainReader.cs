namespace MtaCluster.Mime.Dkim;

/// <summary>
/// The domain of the first mailbox of a From field (RFC 5322 §3.6.2), read in place: inside the
/// angle-addr when there is one, else the addr-spec itself. Quoted strings and comments may hold
/// '@', '&lt;' or ',' (a display name "a@b", a comment) and are skipped.
/// </summary>
internal static class FromDomainReader
{
    public static bool TryRead(ReadOnlySpan<byte> value, out Range domain)
    {
        domain = default;
        var depth = 0;
        var quoted = false;
        var angle = -1;
        var at = -1;
        var domainEnd = -1;
        for (var i = 0; i < value.Length; i++)
        {
            var b = value[i];
            if (b == (byte)'\\' && (quoted || depth > 0))
            {
                i++;
                continue;
            }
            if (quoted)
            {
                if (b == (byte)'"') quoted = false;
                continue;
            }
            if (depth > 0)
            {
                if (b == (byte)'(') depth++;
                else if (b == (byte)')') depth--;
                continue;
            }
            if (b == (byte)'"') quoted = true;
            else if (b == (byte)'(') depth = 1;
            else if (b == (byte)'<' && angle < 0)
            {
                // Whatever '@' the display name held is not the address.
                angle = i;
                at = -1;
                domainEnd = -1;
            }
            else if (b == (byte)'>' && angle >= 0)
            {
                if (at >= 0 && domainEnd < 0) domainEnd = i;
                break;
            }
            else if (b == (byte)',' && angle < 0 && at >= 0)
            {
                if (domainEnd < 0) domainEnd = i;
                break;
            }
            else if (b == (byte)'@')
            {
                at = i;
                domainEnd = -1;
            }
            else if (at >= 0 && domainEnd < 0 && b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or (byte)',' or (byte)';')
            {
                domainEnd = i;
            }
            else if (at >= 0 && domainEnd >= 0 && angle < 0 && b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
            {
                // Text after the address and its white space: that was a display name, the address is yet to come.
                at = -1;
                domainEnd = -1;
            }
        }
        if (at < 0) return false;
        if (domainEnd < 0) domainEnd = value.Length;
        // An address literal ("user@[192.0.2.1]") names no domain to sign for.
        if (domainEnd <= at + 1 || value[at + 1] == (byte)'[') return false;
        domain = (at + 1)..domainEnd;
        return true;
    }
}
