using System.Text;

namespace MtaCluster.Smtp.Protocol;

/// <summary>
/// Looks only at the header section (up to the first empty line) for the fields RFC 6409 §8 lets a
/// submission server add when they are missing; the body is never parsed.
/// </summary>
public static class MessageHeaderScanner
{
    public static (bool HasMessageId, bool HasDate) Scan(ReadOnlySpan<byte> message)
    {
        bool messageId = false, date = false;
        int pos = 0;
        while (pos < message.Length)
        {
            var rest = message[pos..];
            int lf = rest.IndexOf((byte)'\n');
            var line = lf < 0 ? rest : rest[..lf];
            if (!line.IsEmpty && line[^1] == (byte)'\r') line = line[..^1];
            if (line.IsEmpty) break;
            if (line[0] is not ((byte)' ' or (byte)'\t'))
            {
                int colon = line.IndexOf((byte)':');
                if (colon <= 0) break;
                // RFC 5322 §4.5: obsolete syntax allows white space before the colon.
                var name = line[..colon].TrimEnd("\t "u8);
                if (Ascii.EqualsIgnoreCase(name, "Message-ID"u8)) messageId = true;
                else if (Ascii.EqualsIgnoreCase(name, "Date"u8)) date = true;
            }
            if (lf < 0) break;
            pos += lf + 1;
        }
        return (messageId, date);
    }
}
