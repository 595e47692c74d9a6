using System.Text;

namespace MtaCluster.Mime.Dkim;

/// <summary>
/// The fields of a header block (RFC 5322 §2.2: a line starting with space or tab continues the field
/// above it), found in place. A line without a colon is no field a signature could name, and is skipped.
/// </summary>
internal static class DkimHeaderBlock
{
    public static int Parse(ReadOnlySpan<byte> block, Span<DkimHeaderField> fields, out bool tooMany)
    {
        tooMany = false;
        var count = 0;
        var at = 0;
        while (at < block.Length)
        {
            var start = at;
            var end = LineEnd(block, at, out var next);
            while (next < block.Length && block[next] is (byte)' ' or (byte)'\t') end = LineEnd(block, next, out next);
            at = next;

            var colon = block[start..end].IndexOf((byte)':');
            if (colon <= 0) continue;
            var name = block.Slice(start, colon).TrimEnd(" \t"u8);
            if (name.IsEmpty) continue;
            if (count == fields.Length)
            {
                tooMany = true;
                return count;
            }
            fields[count++] = new DkimHeaderField(start, end - start, name.Length, start + colon);
        }
        return count;
    }

    public static bool NameIs(ReadOnlySpan<byte> block, in DkimHeaderField field, ReadOnlySpan<byte> name) =>
        Ascii.EqualsIgnoreCase(field.Name(block), name);

    // The end of the line starting at `at` without its CRLF, and where the next line starts.
    private static int LineEnd(ReadOnlySpan<byte> block, int at, out int next)
    {
        var crlf = block[at..].IndexOf("\r\n"u8);
        if (crlf < 0)
        {
            next = block.Length;
            return block.Length;
        }
        next = at + crlf + 2;
        return at + crlf;
    }
}
