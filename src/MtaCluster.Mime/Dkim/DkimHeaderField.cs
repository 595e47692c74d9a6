namespace MtaCluster.Mime.Dkim;

/// <summary>
/// One header field inside a header block: where it starts, its length with its folding but without
/// its final CRLF, and the length of its name (white space before the colon left out, RFC 5322 §4.5.3).
/// </summary>
internal readonly record struct DkimHeaderField(int Start, int Length, int NameLength, int Colon)
{
    public ReadOnlySpan<byte> Name(ReadOnlySpan<byte> block) => block.Slice(Start, NameLength);

    public ReadOnlySpan<byte> Raw(ReadOnlySpan<byte> block) => block.Slice(Start, Length);

    /// <summary>Everything after the colon, folding included.</summary>
    public ReadOnlySpan<byte> Value(ReadOnlySpan<byte> block) => block.Slice(Colon + 1, Start + Length - Colon - 1);
}
