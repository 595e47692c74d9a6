using System.Text;

namespace MtaCluster.Smtp.Tests.TestSupport;

/// <summary>
/// Byte sequences that a receiver somewhere might take for the end of DATA (&lt;CRLF&gt;.&lt;CRLF&gt;, RFC 5321
/// §4.1.1.4), each placed in a message so that what follows it is a complete second transaction: the shape of
/// an SMTP smuggling attempt. Named cases first, then every one-byte mutation of the real terminator
/// (each byte dropped, doubled, or replaced by CR, LF, NUL or a space, and NUL inserted between any two),
/// then a dot in every position of every sequence of up to three CR, LF and NUL bytes.
/// </summary>
public static class EndOfDataLookalikes
{
    public const string SmuggledSender = "evil@attacker.test";

    public sealed record Lookalike(string Name, byte[] Bytes)
    {
        public override string ToString() => Name;
    }

    /// <summary>A whole DATA body as sent (ending in the real terminator) or BDAT content (no terminator).</summary>
    public sealed record Case(string Name, byte[] Wire, int LookalikeStart, int LookalikeLength)
    {
        public override string ToString() => Name;
    }

    public static readonly Lookalike[] Named =
    [
        new("bare CR", "\r"u8.ToArray()),
        new("bare LF", "\n"u8.ToArray()),
        new("CR CR LF", "\r\r\n"u8.ToArray()),
        new("NUL", [0]),
        new("<LF>.<LF>", "\n.\n"u8.ToArray()),
        new("<CR>.<CR>", "\r.\r"u8.ToArray()),
        new("<CRLF>.<LF>", "\r\n.\n"u8.ToArray()),
        new("<LF>.<CRLF>", "\n.\r\n"u8.ToArray()),
        new("<CR>.<CRLF>", "\r.\r\n"u8.ToArray()),
        new("<CRLF>.<CR>", "\r\n.\r"u8.ToArray()),
        new("<CRLF><NUL>.<CRLF>", [13, 10, 0, 46, 13, 10]),
        new("<CRLF>.<NUL><CRLF>", [13, 10, 46, 0, 13, 10]),
        new("<CRLF>.<CR><NUL><LF>", [13, 10, 46, 13, 0, 10]),
        new("<CR><NUL><LF>.<CRLF>", [13, 0, 10, 46, 13, 10]),
        new("<CRLF>.<CR><CRLF>", "\r\n.\r\r\n"u8.ToArray()),
        new("<CRLF><CR>.<CRLF>", "\r\n\r.\r\n"u8.ToArray()),
        new("<CRLF><LF>.<LF>", "\r\n\n.\n"u8.ToArray()),
    ];

    private static readonly byte[] Terminator = "\r\n.\r\n"u8.ToArray();

    /// <summary><see cref="Named"/> and the one-byte mutations of &lt;CRLF&gt;.&lt;CRLF&gt;, without duplicates.</summary>
    public static IReadOnlyList<Lookalike> All()
    {
        var all = new List<Lookalike>(Named);
        for (int i = 0; i < Terminator.Length; i++)
        {
            all.Add(new($"terminator without byte {i}", [.. Terminator[..i], .. Terminator[(i + 1)..]]));
            all.Add(new($"terminator with byte {i} doubled", [.. Terminator[..(i + 1)], .. Terminator[i..]]));
            foreach (byte replacement in new byte[] { 13, 10, 0, 32 })
            {
                if (Terminator[i] == replacement) continue;
                var replaced = Terminator.ToArray();
                replaced[i] = replacement;
                all.Add(new($"terminator with byte {i} as 0x{replacement:X2}", replaced));
            }
        }
        for (int i = 0; i <= Terminator.Length; i++)
            all.Add(new($"terminator with NUL at {i}", [.. Terminator[..i], 0, .. Terminator[i..]]));
        foreach (var sequence in BreakSequences(3))
        {
            for (int i = 0; i <= sequence.Length; i++)
                all.Add(new($"dot at {i} of {Describe(sequence)}", [.. sequence[..i], (byte)'.', .. sequence[i..]]));
        }
        return all.DistinctBy(l => Convert.ToHexString(l.Bytes)).ToList();
    }

    private static readonly byte[] BreakBytes = [13, 10, 0];

    private static IEnumerable<byte[]> BreakSequences(int maxLength)
    {
        IEnumerable<byte[]> level = [[]];
        for (int length = 1; length <= maxLength; length++)
        {
            level = level.SelectMany(prefix => BreakBytes.Select(b => (byte[])[.. prefix, b])).ToList();
            foreach (var sequence in level) yield return sequence;
        }
    }

    private static string Describe(byte[] sequence) =>
        string.Join(" ", sequence.Select(b => b switch { 13 => "CR", 10 => "LF", _ => "NUL" }));

    // Where the look-alike sits: the first byte of the body (a line start), after a header line (a line
    // start), and in the middle of a line, so its dot lands at a line start, mid-line and line end.
    private static readonly (string Name, string Text)[] Places =
    [
        ("at the start of the body", ""),
        ("after a header line", "Subject: look-alike\r\n"),
        ("in the middle of a line", "Subject: look-alike\r\n\r\nsome text"),
    ];

    /// <summary>What a receiver that stopped at the look-alike would take as a second transaction.</summary>
    private static readonly byte[] Smuggled = Encoding.ASCII.GetBytes(
        $"MAIL FROM:<{SmuggledSender}>\r\nRCPT TO:<victim@example.net>\r\nDATA\r\nSubject: smuggled\r\n\r\nsmuggled\r\n");

    /// <summary>
    /// Every look-alike in every place, framed for DATA (with the real terminator at the end) or as BDAT
    /// content. A DATA case whose look-alike forms a real terminator with its neighbours (for instance a
    /// doubled CR before CRLF.CRLF) is left out: there every receiver agrees where the data ends.
    /// </summary>
    public static IReadOnlyList<Case> Cases(bool data)
    {
        var cases = new List<Case>();
        foreach (var lookalike in All())
        {
            foreach (var (place, text) in Places)
            {
                byte[] prefix = Encoding.ASCII.GetBytes(text);
                byte[] wire = [.. prefix, .. lookalike.Bytes, .. Smuggled, .. (data ? ".\r\n"u8.ToArray() : [])];
                if (data && FirstRealEnd(wire) != wire.Length) continue;
                cases.Add(new($"{lookalike.Name} {place}", wire, prefix.Length, lookalike.Bytes.Length));
            }
        }
        return cases;
    }

    /// <summary>Where a strict receiver's DATA ends: just past the first &lt;CRLF&gt;.&lt;CRLF&gt;, the DATA line's CRLF included.</summary>
    public static int FirstRealEnd(ReadOnlySpan<byte> wire)
    {
        byte[] withDataLine = [13, 10, .. wire];
        int at = withDataLine.AsSpan().IndexOf(Terminator);
        return at < 0 ? -1 : at + Terminator.Length - 2;
    }
}
