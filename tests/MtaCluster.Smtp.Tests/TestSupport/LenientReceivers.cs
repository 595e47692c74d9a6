using System.Text;

namespace MtaCluster.Smtp.Tests.TestSupport;

/// <summary>
/// Models of receivers more lenient than RFC 5321 about where a line ends and what a NUL is, used to check
/// that content we accepted cannot end early anywhere we relay it. Stored content is unstuffed (§4.5.2), so
/// what is judged is what we would transmit: the content dot-stuffed, then &lt;CRLF&gt;.&lt;CRLF&gt;.
/// </summary>
public static class LenientReceivers
{
    private enum Breaks
    {
        CrLf,
        LineFeed,
        CrOrLf,
    }

    /// <summary>RFC 5321 §4.5.2: a line that starts with a dot gets another; CRLF added when missing, then the dot line.</summary>
    public static byte[] Transmission(ReadOnlySpan<byte> content)
    {
        var wire = new List<byte>(content.Length + 16);
        bool lineStart = true;
        for (int i = 0; i < content.Length; i++)
        {
            if (lineStart && content[i] == (byte)'.') wire.Add((byte)'.');
            wire.Add(content[i]);
            lineStart = content[i] == (byte)'\n' && i > 0 && content[i - 1] == (byte)'\r';
        }
        if (!lineStart && content.Length > 0) wire.AddRange("\r\n"u8.ToArray());
        wire.AddRange(".\r\n"u8.ToArray());
        return wire.ToArray();
    }

    /// <summary>
    /// What is wrong with <paramref name="content"/> as something to relay: NUL, bare CR or LF, or a model of a
    /// receiver that would see the data end before the final dot line. Empty when nothing is.
    /// </summary>
    public static IReadOnlyList<string> Problems(ReadOnlySpan<byte> content)
    {
        var problems = new List<string>();
        if (content.IndexOf((byte)0) >= 0) problems.Add("content holds NUL");
        for (int i = 0; i < content.Length; i++)
        {
            if (content[i] == (byte)'\r' && (i + 1 == content.Length || content[i + 1] != (byte)'\n')) { problems.Add($"bare CR at {i}"); break; }
            if (content[i] == (byte)'\n' && (i == 0 || content[i - 1] != (byte)'\r')) { problems.Add($"bare LF at {i}"); break; }
        }
        byte[] wire = Transmission(content);
        foreach (bool dropNul in new[] { false, true })
        {
            foreach (var breaks in Enum.GetValues<Breaks>())
            {
                byte[] seen = dropNul ? wire.Where(b => b != 0).ToArray() : wire;
                var lines = Lines(seen, breaks);
                int firstDot = lines.FindIndex(l => l == ".");
                if (firstDot != lines.Count - 1)
                    problems.Add($"a receiver with {breaks} line breaks{(dropNul ? " that drops NUL" : "")} ends the data at line {firstDot} of {lines.Count}");
            }
        }
        return problems;
    }

    private static List<string> Lines(byte[] wire, Breaks breaks)
    {
        var lines = new List<string>();
        var line = new StringBuilder();
        for (int i = 0; i < wire.Length; i++)
        {
            byte b = wire[i];
            bool crlf = b == (byte)'\r' && i + 1 < wire.Length && wire[i + 1] == (byte)'\n';
            bool ends = breaks switch
            {
                Breaks.CrLf => crlf,
                Breaks.LineFeed => b == (byte)'\n',
                _ => b is (byte)'\r' or (byte)'\n',
            };
            if (!ends)
            {
                line.Append((char)b);
                continue;
            }
            if (crlf) i++;
            // A receiver that splits on LF alone still drops the CR in front of it.
            var text = line.ToString();
            lines.Add(breaks == Breaks.LineFeed ? text.TrimEnd('\r') : text);
            line.Clear();
        }
        return lines;
    }
}
