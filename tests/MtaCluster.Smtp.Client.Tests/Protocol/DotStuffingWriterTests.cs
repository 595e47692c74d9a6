using System.Buffers;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using MtaCluster.Smtp.Client.Protocol;

namespace MtaCluster.Smtp.Client.Tests.Protocol;

/// <summary>
/// The bytes DATA puts on the wire for every end-of-data look-alike: they may end the data only at
/// the writer's own final CRLF "." CRLF, and the output may not depend on how the content was split.
/// </summary>
public class DotStuffingWriterTests
{
    public static TheoryData<string, string, string> LookAlikes => new()
    {
        { "empty", "", ".\r\n" },
        { "no final line end", "a", "a\r\n.\r\n" },
        { "final CRLF", "a\r\n", "a\r\n.\r\n" },
        { "only CRLF", "\r\n", "\r\n.\r\n" },
        { "leading dot", ".a\r\n", "..a\r\n.\r\n" },
        { "only a dot", ".", "..\r\n.\r\n" },
        { "CRLF.CRLF inside", "a\r\n.\r\nb", "a\r\n..\r\nb\r\n.\r\n" },
        { "ends with CRLF.", "a\r\n.", "a\r\n..\r\n.\r\n" },
        { "ends with CRLF.CRLF", "a\r\n.\r\n", "a\r\n..\r\n.\r\n" },
        { "bare LF", "a\nb", "a\r\nb\r\n.\r\n" },
        { "bare CR", "a\rb", "a\r\nb\r\n.\r\n" },
        { "CR CR LF", "a\r\r\nb", "a\r\n\r\nb\r\n.\r\n" },
        { "LF CR", "a\n\rb", "a\r\n\r\nb\r\n.\r\n" },
        { "LF.LF", "a\n.\nb", "a\r\n..\r\nb\r\n.\r\n" },
        { "CR.CR", "a\r.\rb", "a\r\n..\r\nb\r\n.\r\n" },
        { "CRLF.LF", "a\r\n.\nb", "a\r\n..\r\nb\r\n.\r\n" },
        { "LF.CRLF", "a\n.\r\nb", "a\r\n..\r\nb\r\n.\r\n" },
        { "CR.CRLF", "a\r.\r\nb", "a\r\n..\r\nb\r\n.\r\n" },
        { "CRLF.CR", "a\r\n.\rb", "a\r\n..\r\nb\r\n.\r\n" },
        { "CR CR LF . CR CR LF", "a\r\r\n.\r\r\nb", "a\r\n\r\n..\r\n\r\nb\r\n.\r\n" },
        { "starts with LF.LF", "\n.\n", "\r\n..\r\n.\r\n" },
        { "starts with CR.CR", "\r.\r", "\r\n..\r\n.\r\n" },
        { "ends with bare CR", "a\r", "a\r\n.\r\n" },
        { "ends with bare LF", "a\n", "a\r\n.\r\n" },
        { "ends with LF.", "a\n.", "a\r\n..\r\n.\r\n" },
        { "ends with CR.", "a\r.", "a\r\n..\r\n.\r\n" },
        { "two dots after bare LF", "a\n..\nb", "a\r\n...\r\nb\r\n.\r\n" },
        { "dot not at line start", "a.b\r\nc.\r\n", "a.b\r\nc.\r\n.\r\n" },
    };

    [Theory]
    [MemberData(nameof(LookAlikes))]
    public void Writes_exactly_these_bytes(string name, string content, string wire)
    {
        Assert.True(Write(Bytes(content)) == wire, $"{name}: {Show(Write(Bytes(content)))} instead of {Show(wire)}");
    }

    [Theory]
    [MemberData(nameof(LookAlikes))]
    public void Writes_the_same_bytes_however_the_content_is_split(string name, string content, string wire)
    {
        byte[] bytes = Bytes(content);
        for (int first = 0; first <= bytes.Length; first++)
        {
            for (int second = first; second <= bytes.Length; second++)
            {
                string written = Write(bytes[..first], bytes[first..second], bytes[second..]);
                Assert.True(written == wire, $"{name} split at {first},{second}: {Show(written)}");
            }
        }

        Assert.Equal(wire, Write(bytes.Select(b => new[] { b }).ToArray()));
    }

    [Fact]
    public void A_nul_in_any_position_of_any_piece_is_refused()
    {
        byte[] clean = Bytes("Subject: x\r\n\r\nline\r\n.\r\nend\r\n");
        for (int at = 0; at <= clean.Length; at++)
        {
            byte[] poisoned = [.. clean[..at], 0, .. clean[at..]];
            for (int split = 0; split <= poisoned.Length; split++)
            {
                var writer = new DotStuffingWriter(new ArrayBufferWriter<byte>());
                Assert.Throws<InvalidDataException>(() =>
                {
                    writer.Write(poisoned[..split]);
                    writer.Write(poisoned[split..]);
                });
            }
        }
    }

    [Fact]
    public void Any_content_ends_the_data_only_at_the_end_and_reads_back_as_its_lines()
    {
        // Content over an alphabet of line-end parts, dots and text, in random pieces.
        Gen<byte[]> content = Gen.Elements((byte)'\r', (byte)'\n', (byte)'.', (byte)'a', (byte)' ').ArrayOf();
        Gen<int[]> cuts = Gen.Choose(0, 64).ArrayOf();
        Prop.ForAll(content.ToArbitrary(), cuts.ToArbitrary(), (bytes, cutPoints) =>
        {
            int[] points = cutPoints.Select(c => Math.Min(c, bytes.Length)).Order().ToArray();
            var pieces = new List<byte[]>();
            int previous = 0;
            foreach (int point in points)
            {
                pieces.Add(bytes[previous..point]);
                previous = point;
            }

            pieces.Add(bytes[previous..]);
            string wire = Write(pieces.ToArray());
            return OnlyCrlfLineEnds(wire)
                && FirstEndOfData(wire) == wire.Length
                && Unstuff(wire) == Normalize(Encoding.Latin1.GetString(bytes));
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(2000));
    }

    private static bool OnlyCrlfLineEnds(string wire)
    {
        for (int i = 0; i < wire.Length; i++)
        {
            if ((wire[i] == '\r' && (i + 1 == wire.Length || wire[i + 1] != '\n')) || (wire[i] == '\n' && (i == 0 || wire[i - 1] != '\r')))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Where a receiver sees the end of data: just after the first line that is a lone ".".</summary>
    private static int FirstEndOfData(string wire)
    {
        if (wire.StartsWith(".\r\n", StringComparison.Ordinal))
        {
            return 3;
        }

        int at = wire.IndexOf("\r\n.\r\n", StringComparison.Ordinal);
        return at < 0 ? -1 : at + 5;
    }

    /// <summary>What a receiver makes of the data: the lines before the final dot, one leading dot removed (RFC 5321 §4.5.2).</summary>
    private static string Unstuff(string wire)
    {
        string body = wire[..^3];
        var lines = body.Split("\r\n");
        return string.Join("\r\n", lines.Select(l => l.StartsWith('.') ? l[1..] : l));
    }

    /// <summary>The reference: CRLF, a bare CR and a bare LF each end a line; the last line is ended.</summary>
    private static string Normalize(string content)
    {
        var result = new StringBuilder();
        for (int i = 0; i < content.Length; i++)
        {
            if (content[i] == '\r')
            {
                result.Append("\r\n");
                if (i + 1 < content.Length && content[i + 1] == '\n')
                {
                    i++;
                }
            }
            else if (content[i] == '\n')
            {
                result.Append("\r\n");
            }
            else
            {
                result.Append(content[i]);
            }
        }

        if (result.Length > 0 && !result.ToString().EndsWith("\r\n", StringComparison.Ordinal))
        {
            result.Append("\r\n");
        }

        return result.ToString();
    }

    private static string Write(params byte[][] pieces)
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new DotStuffingWriter(output);
        foreach (byte[] piece in pieces)
        {
            writer.Write(piece);
        }

        writer.Complete();
        return Encoding.Latin1.GetString(output.WrittenSpan);
    }

    private static byte[] Bytes(string text) => Encoding.Latin1.GetBytes(text);

    private static string Show(string text) => text.Replace("\r", "<CR>", StringComparison.Ordinal).Replace("\n", "<LF>", StringComparison.Ordinal);
}
