using System.Text;

namespace MtaCluster.Mail;

/// <summary>
/// Makes text that came from the other side of a connection (an address, a remote reply) safe inside a
/// key=value log line. A quoted local part may hold spaces, quotes and angle brackets, and a reply any
/// printable text: unescaped, either could end its field early and forge the ones after it
/// (<c>reply="x" status=delivered</c>), or with a line break forge a whole line.
/// </summary>
public static class LogValue
{
    /// <summary>
    /// Returns <paramref name="value"/> unchanged when it holds nothing that could end its field, else with
    /// each such character written as <c>\xNN</c> (<c>\uNNNN</c> above U+00FF): backslash, quote and
    /// control characters always; space and angle brackets too in a field that is not quoted (an address
    /// in <c>rcpt=&lt;…&gt;</c>). Other non-ASCII text (SMTPUTF8 addresses, UTF-8 replies) stays as it is.
    /// </summary>
    /// <param name="quoted">True for a field in double quotes (a reply), where spaces and brackets cannot end it.</param>
    public static string Escape(string value, bool quoted = false)
    {
        int first = -1;
        for (int i = 0; i < value.Length; i++)
        {
            if (NeedsEscape(value[i], quoted)) { first = i; break; }
        }
        if (first < 0) return value;

        var escaped = new StringBuilder(value.Length + 16);
        escaped.Append(value, 0, first);
        for (int i = first; i < value.Length; i++)
        {
            char c = value[i];
            if (!NeedsEscape(c, quoted)) escaped.Append(c);
            else if (c <= 0xFF) escaped.Append("\\x").Append(((int)c).ToString("X2"));
            else escaped.Append("\\u").Append(((int)c).ToString("X4"));
        }
        return escaped.ToString();
    }

    private static bool NeedsEscape(char c, bool quoted) => c switch
    {
        ' ' or '<' or '>' => !quoted,
        '\\' or '"' => true,
        // C0 and C1 controls, DEL, and the Unicode line and paragraph separators some log viewers break on.
        < ' ' or (>= (char)0x7F and <= (char)0x9F) or '\u2028' or '\u2029' => true,
        _ => false,
    };
}
