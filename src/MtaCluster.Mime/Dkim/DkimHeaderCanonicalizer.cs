namespace MtaCluster.Mime.Dkim;

/// <summary>
/// One header field in its canonical form (RFC 6376 §3.4.1, §3.4.2), written to a buffer at least
/// two octets longer than the field: simple is the field as it is; relaxed lower-cases the name,
/// unfolds, turns each run of white space into one SP and drops it around the colon and at the end.
/// </summary>
internal static class DkimHeaderCanonicalizer
{
    public static int Write(ReadOnlySpan<byte> block, in DkimHeaderField field, DkimCanonicalizationAlgorithm algorithm, Span<byte> destination, bool withCrLf)
    {
        int length;
        if (algorithm == DkimCanonicalizationAlgorithm.Simple)
        {
            field.Raw(block).CopyTo(destination);
            length = field.Length;
        }
        else
        {
            length = WriteRelaxed(field.Name(block), field.Value(block), destination);
        }
        if (withCrLf)
        {
            "\r\n"u8.CopyTo(destination[length..]);
            length += 2;
        }
        return length;
    }

    private static int WriteRelaxed(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, Span<byte> destination)
    {
        var used = 0;
        foreach (var b in name) destination[used++] = b is >= (byte)'A' and <= (byte)'Z' ? (byte)(b + 32) : b;
        destination[used++] = (byte)':';

        var pendingSpace = false;
        var started = false;
        for (var i = 0; i < value.Length; i++)
        {
            var b = value[i];
            // Unfolding removes the CRLF alone; the white space after it joins the run before it.
            if (b == (byte)'\r' && i + 1 < value.Length && value[i + 1] == (byte)'\n')
            {
                i++;
                continue;
            }
            if (b is (byte)' ' or (byte)'\t')
            {
                pendingSpace = started;
                continue;
            }
            if (pendingSpace) destination[used++] = (byte)' ';
            pendingSpace = false;
            started = true;
            destination[used++] = b;
        }
        return used;
    }
}
