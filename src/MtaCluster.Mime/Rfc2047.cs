using System.Buffers;
using System.Text;

namespace MtaCluster.Mime;

/// <summary>RFC 2047 encoded words: decoding (lenient, never throws) and UTF-8 encoding.</summary>
public static class Rfc2047
{
    /// <summary>RFC 2047 §2: an encoded word is at most 75 characters.</summary>
    public const int MaxWordLength = 75;

    private const string Utf8Prefix = "=?utf-8?";

    /// <summary>
    /// Decodes every encoded word in <paramref name="text"/>. Whitespace between adjacent encoded words is dropped
    /// (§6.2); adjacent words in the same charset are decoded as one byte run, so a multi-byte character split by a
    /// careless encoder still comes out whole. A malformed word, unknown charset or bad base64 stays as written.
    /// </summary>
    public static string DecodeText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.Contains("=?", StringComparison.Ordinal))
        {
            return text;
        }

        var output = new StringBuilder(text.Length);
        var pending = new ArrayBufferWriter<byte>();
        Encoding? pendingEncoding = null;
        int lastWordEnd = -1;
        int pos = 0;
        while (pos < text.Length)
        {
            int start = text.IndexOf("=?", pos, StringComparison.Ordinal);
            if (start < 0)
            {
                break;
            }

            if (!TryParseWord(text, start, out Encoding? encoding, out byte[]? bytes, out int end))
            {
                Flush(output, pending, ref pendingEncoding);
                output.Append(text, pos, start + 2 - pos);
                pos = start + 2;
                lastWordEnd = -1;
                continue;
            }

            bool adjacent = lastWordEnd == pos && IsWhitespace(text.AsSpan(pos, start - pos));
            if (!adjacent || pendingEncoding is null || pendingEncoding.CodePage != encoding!.CodePage)
            {
                Flush(output, pending, ref pendingEncoding);
                if (!adjacent)
                {
                    output.Append(text, pos, start - pos);
                }

                pendingEncoding = encoding;
            }

            pending.Write(bytes);
            pos = end;
            lastWordEnd = end;
        }

        Flush(output, pending, ref pendingEncoding);
        output.Append(text, pos, text.Length - pos);
        return output.ToString();
    }

    /// <summary>
    /// Encodes <paramref name="text"/> as UTF-8 encoded words of at most 75 characters each, separated by single spaces
    /// (a folder may break there). Words split only between whole characters, so no word holds half a surrogate pair
    /// or a partial UTF-8 sequence. Q uses only the §5(3) characters, so the result is safe in a phrase too.
    /// </summary>
    public static string Encode(string text, char method = 'B')
    {
        ArgumentNullException.ThrowIfNull(text);
        method = char.ToUpperInvariant(method);
        if (method is not ('B' or 'Q'))
        {
            throw new ArgumentOutOfRangeException(nameof(method), method, "RFC 2047 §4: B or Q.");
        }

        int budget = MaxWordLength - Utf8Prefix.Length - 4; // "B?" or "Q?" and "?="
        var words = new List<string>();
        var run = new List<byte>();
        int runLength = 0;
        Span<byte> utf8 = stackalloc byte[4];
        foreach (Rune rune in text.EnumerateRunes())
        {
            int n = rune.EncodeToUtf8(utf8);
            int next = method == 'B' ? (run.Count + n + 2) / 3 * 4 : runLength + QLength(utf8[..n]);
            if (next > budget && run.Count > 0)
            {
                words.Add(Word(method, run));
                run.Clear();
                runLength = 0;
            }

            run.AddRange(utf8[..n].ToArray());
            runLength += method == 'Q' ? QLength(utf8[..n]) : 0;
        }

        if (run.Count > 0 || words.Count == 0)
        {
            words.Add(Word(method, run));
        }

        return string.Join(' ', words);
    }

    /// <summary>True when <paramref name="text"/> needs encoding to go in an ASCII header (RFC 5322 §2.2).</summary>
    public static bool NeedsEncoding(string text) =>
        text.Any(c => c > '~' || (c < ' ' && c != '\t')) || text.Contains("=?", StringComparison.Ordinal);

    private static string Word(char method, List<byte> bytes)
    {
        var word = new StringBuilder(MaxWordLength).Append(Utf8Prefix).Append(method).Append('?');
        if (method == 'B')
        {
            word.Append(Convert.ToBase64String(bytes.ToArray()));
        }
        else
        {
            foreach (byte b in bytes)
            {
                if (b == ' ')
                {
                    word.Append('_');
                }
                else if (IsQSafe(b))
                {
                    word.Append((char)b);
                }
                else
                {
                    word.Append('=').Append(b.ToString("X2"));
                }
            }
        }

        return word.Append("?=").ToString();
    }

    private static int QLength(ReadOnlySpan<byte> bytes)
    {
        int length = 0;
        foreach (byte b in bytes)
        {
            length += b == ' ' || IsQSafe(b) ? 1 : 3;
        }

        return length;
    }

    private static bool IsQSafe(byte b) => b is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z')
        or (>= (byte)'0' and <= (byte)'9') or (byte)'!' or (byte)'*' or (byte)'+' or (byte)'-' or (byte)'/';

    private static void Flush(StringBuilder output, ArrayBufferWriter<byte> pending, ref Encoding? encoding)
    {
        if (encoding is not null)
        {
            output.Append(encoding.GetString(pending.WrittenSpan));
        }

        pending.Clear();
        encoding = null;
    }

    private static bool IsWhitespace(ReadOnlySpan<char> span)
    {
        foreach (char c in span)
        {
            if (c is not (' ' or '\t' or '\r' or '\n'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>"=?charset?e?text?=" at <paramref name="start"/>; the text holds no whitespace and no "?" (§2, §5).</summary>
    private static bool TryParseWord(string text, int start, out Encoding? encoding, out byte[]? bytes, out int end)
    {
        encoding = null;
        bytes = null;
        end = 0;
        int q1 = text.IndexOf('?', start + 2);
        if (q1 < 0 || q1 + 2 >= text.Length || text[q1 + 2] != '?')
        {
            return false;
        }

        int close = text.IndexOf("?=", q1 + 3, StringComparison.Ordinal);
        if (close < 0)
        {
            return false;
        }

        ReadOnlySpan<char> payload = text.AsSpan(q1 + 3, close - q1 - 3);
        if (payload.IndexOfAny(" \t\r\n") >= 0 || text.AsSpan(start + 2, q1 - start - 2).IndexOfAny(" \t\r\n") >= 0)
        {
            return false;
        }

        encoding = Charsets.GetEncoding(text[(start + 2)..q1]);
        if (encoding is null)
        {
            return false;
        }

        bytes = char.ToUpperInvariant(text[q1 + 1]) switch
        {
            'B' => DecodeB(payload),
            'Q' => DecodeQ(payload),
            _ => null,
        };
        end = close + 2;
        return bytes is not null;
    }

    private static byte[]? DecodeB(ReadOnlySpan<char> payload)
    {
        // Some encoders drop the "=" padding; restoring it costs nothing and rescues the word.
        string padded = payload.ToString();
        if (padded.Length % 4 != 0)
        {
            padded = padded.PadRight(padded.Length + (4 - (padded.Length % 4)), '=');
        }

        byte[] buffer = new byte[padded.Length / 4 * 3];
        return Convert.TryFromBase64String(padded, buffer, out int written) ? buffer[..written] : null;
    }

    private static byte[]? DecodeQ(ReadOnlySpan<char> payload)
    {
        var bytes = new List<byte>(payload.Length);
        for (int i = 0; i < payload.Length; i++)
        {
            char c = payload[i];
            if (c == '_')
            {
                bytes.Add((byte)' ');
            }
            else if (c == '=')
            {
                if (i + 2 >= payload.Length || !Uri.IsHexDigit(payload[i + 1]) || !Uri.IsHexDigit(payload[i + 2]))
                {
                    return null;
                }

                bytes.Add(Convert.ToByte(payload.Slice(i + 1, 2).ToString(), 16));
                i += 2;
            }
            else if (c > '~')
            {
                return null;
            }
            else
            {
                bytes.Add((byte)c);
            }
        }

        return bytes.ToArray();
    }
}
