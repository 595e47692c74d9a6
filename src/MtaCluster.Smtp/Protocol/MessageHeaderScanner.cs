using System.Buffers;
using System.Text;

namespace MtaCluster.Smtp.Protocol;

/// <summary>
/// Looks only at the header section (up to the first empty line) for the fields RFC 6409 §8 lets a
/// submission server add when they are missing; the body is never parsed.
/// </summary>
public static class MessageHeaderScanner
{
    /// <summary>The body as it sits in the session's pooled segments; a header line across two segments is read on a slow path.</summary>
    public static (bool HasMessageId, bool HasDate) Scan(in ReadOnlySequence<byte> message)
    {
        if (message.IsSingleSegment) return Scan(message.FirstSpan);
        bool messageId = false, date = false;
        var reader = new SequenceReader<byte>(message);
        // Only a field name decides anything here, and the longest one asked about is 10 octets.
        Span<byte> start = stackalloc byte[32];
        while (!reader.End)
        {
            bool found = reader.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\n');
            if (!found) line = reader.UnreadSequence;
            int n = (int)Math.Min(line.Length, start.Length);
            line.Slice(0, n).CopyTo(start);
            var head = start[..n];
            if (line.Length <= start.Length && !head.IsEmpty && head[^1] == (byte)'\r') head = head[..^1];
            if (head.IsEmpty) break;
            if (head[0] is not ((byte)' ' or (byte)'\t'))
            {
                int colon = head.IndexOf((byte)':');
                // A colon past the copied start still makes a field, just not one of the two asked about.
                if (colon < 0 && line.Length > start.Length && line.PositionOf((byte)':') is not null) colon = int.MaxValue;
                if (colon <= 0) break;
                if (colon < head.Length)
                {
                    var name = head[..colon].TrimEnd("\t "u8);
                    if (Ascii.EqualsIgnoreCase(name, "Message-ID"u8)) messageId = true;
                    else if (Ascii.EqualsIgnoreCase(name, "Date"u8)) date = true;
                }
            }
            if (!found) break;
        }
        return (messageId, date);
    }

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
