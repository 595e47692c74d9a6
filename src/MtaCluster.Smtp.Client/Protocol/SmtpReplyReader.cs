using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using MtaCluster.Mail;

namespace MtaCluster.Smtp.Client.Protocol;

/// <summary>
/// Parses SMTP replies (RFC 5321 §4.2) out of the bytes a <c>PipeReader</c> has buffered. Says "need
/// more data" by returning false and never consumes a partial reply, so a multi-line reply split
/// across reads is simply parsed again when the rest arrives (replies are short; the re-scan is
/// cheaper than carrying parser state between reads).
/// </summary>
/// <remarks>
/// Lines are copied into one reusable buffer, normalised as code, enhanced code and text; the only
/// allocations are the final <see cref="SmtpReply"/> and its strings. A caller that expects the same
/// reply again and again (250 to every MAIL and RCPT) names a cache slot, and an identical reply is
/// handed back without allocating at all.
/// </remarks>
internal sealed class SmtpReplyReader
{
    public const int NoCache = -1;

    // RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets; a line slightly longer is tolerated,
    // but a peer that streams garbage without line ends must not grow the buffer without bound.
    private const int MaxLineLength = 4096;
    private const int MaxCachedLength = 256;

    private readonly int _maxReplyLength;
    private readonly CachedReply[] _cache;
    private byte[] _normalized = new byte[512];
    private int _length;
    private int _enhancedLength;

    public SmtpReplyReader(int maxReplyLength, int cacheSlots)
    {
        _maxReplyLength = maxReplyLength;
        _cache = new CachedReply[cacheSlots];
        for (int i = 0; i < cacheSlots; i++)
        {
            _cache[i] = new CachedReply();
        }
    }

    /// <summary>RFC 2034: only after the server announced ENHANCEDSTATUSCODES is "x.y.z" at the start of the text a status code.</summary>
    public bool EnhancedStatusCodes { get; set; }

    /// <exception cref="SmtpProtocolException">The buffer does not hold an SMTP reply.</exception>
    public bool TryRead(in ReadOnlySequence<byte> buffer, int cacheSlot, [NotNullWhen(true)] out SmtpReply? reply, out SequencePosition consumed)
    {
        var reader = new SequenceReader<byte>(buffer);
        bool first = true;
        _length = 0;
        _enhancedLength = 0;

        while (reader.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\n'))
        {
            bool final;
            if (line.IsSingleSegment)
            {
                final = AppendLine(line.FirstSpan, first);
            }
            else
            {
                final = AppendSplitLine(line, first);
            }

            if (final)
            {
                consumed = reader.Position;
                reply = Build(cacheSlot);
                return true;
            }

            first = false;
            if (reader.Consumed > _maxReplyLength)
            {
                throw new SmtpProtocolException($"Reply longer than {_maxReplyLength} bytes.");
            }
        }

        if (reader.Remaining > MaxLineLength || buffer.Length > _maxReplyLength)
        {
            throw new SmtpProtocolException("Reply line without an end.");
        }

        reply = null;
        consumed = buffer.Start;
        return false;
    }

    private bool AppendSplitLine(in ReadOnlySequence<byte> line, bool first)
    {
        if (line.Length > MaxLineLength)
        {
            throw new SmtpProtocolException("Reply line too long.");
        }

        Span<byte> copy = stackalloc byte[(int)line.Length];
        line.CopyTo(copy);
        return AppendLine(copy, first);
    }

    private bool AppendLine(ReadOnlySpan<byte> line, bool first)
    {
        if (line.Length > MaxLineLength)
        {
            throw new SmtpProtocolException("Reply line too long.");
        }

        // RFC 5321 §2.3.8 says CRLF; a bare LF is accepted as Postfix's client does.
        if (line.Length > 0 && line[^1] == (byte)'\r')
        {
            line = line[..^1];
        }

        if (line.Length < 3 || line[0] is < (byte)'1' or > (byte)'5' || !IsDigit(line[1]) || !IsDigit(line[2]))
        {
            throw new SmtpProtocolException("Reply line does not start with a three-digit code.");
        }

        bool final;
        ReadOnlySpan<byte> text;
        if (line.Length == 3)
        {
            final = true;
            text = default;
        }
        else if (line[3] == (byte)' ')
        {
            final = true;
            text = line[4..];
        }
        else if (line[3] == (byte)'-')
        {
            final = false;
            text = line[4..];
        }
        else
        {
            throw new SmtpProtocolException("Reply code not followed by a space or a hyphen.");
        }

        if (first)
        {
            EnsureCapacity(4);
            line[..3].CopyTo(_normalized);
            _length = 4;
            if (EnhancedStatusCodes)
            {
                int enhanced = MatchEnhancedCode(text, line[0]);
                if (enhanced > 0)
                {
                    EnsureCapacity(enhanced);
                    text[..enhanced].CopyTo(_normalized.AsSpan(_length));
                    _length += enhanced;
                    _enhancedLength = enhanced;
                    text = text[enhanced..].TrimStart((byte)' ');
                }
            }

            _normalized[3] = (byte)_enhancedLength;
        }
        else
        {
            // RFC 2034 §4: every line repeats the enhanced code; keep it once.
            if (_enhancedLength > 0 && text.StartsWith(_normalized.AsSpan(4, _enhancedLength)))
            {
                text = text[_enhancedLength..].TrimStart((byte)' ');
            }
            else if (_enhancedLength == 0 && EnhancedStatusCodes)
            {
                // Some servers put the code on the last line only; move it in front of the text.
                int enhanced = MatchEnhancedCode(text, line[0]);
                if (enhanced > 0)
                {
                    EnsureCapacity(enhanced);
                    Array.Copy(_normalized, 4, _normalized, 4 + enhanced, _length - 4);
                    text[..enhanced].CopyTo(_normalized.AsSpan(4));
                    _length += enhanced;
                    _enhancedLength = enhanced;
                    _normalized[3] = (byte)enhanced;
                    text = text[enhanced..].TrimStart((byte)' ');
                }
            }

            EnsureCapacity(1);
            _normalized[_length++] = (byte)'\n';
        }

        if (final)
        {
            // RFC 5321 §4.2.1 wants one code on every line; the last line decides when they differ.
            line[..3].CopyTo(_normalized);
        }

        EnsureCapacity(text.Length);
        text.CopyTo(_normalized.AsSpan(_length));
        _length += text.Length;
        return final;
    }

    private SmtpReply Build(int cacheSlot)
    {
        ReadOnlySpan<byte> normalized = _normalized.AsSpan(0, _length);
        CachedReply? cached = null;
        if (cacheSlot >= 0 && _length <= MaxCachedLength)
        {
            cached = _cache[cacheSlot];
            if (cached.Reply is not null && normalized.SequenceEqual(cached.Bytes.AsSpan(0, cached.Length)))
            {
                return cached.Reply;
            }
        }

        int code = ((normalized[0] - '0') * 100) + ((normalized[1] - '0') * 10) + (normalized[2] - '0');
        EnhancedStatusCode? enhanced = null;
        if (_enhancedLength > 0 && EnhancedStatusCode.TryParse(normalized.Slice(4, _enhancedLength), out EnhancedStatusCode parsed))
        {
            enhanced = parsed;
        }

        ReadOnlySpan<byte> textBytes = normalized[(4 + _enhancedLength)..];
        string text = textBytes.IsEmpty ? string.Empty : Encoding.UTF8.GetString(textBytes);
        var reply = new SmtpReply(code, enhanced, text);

        if (cached is not null)
        {
            normalized.CopyTo(cached.Bytes);
            cached.Length = _length;
            cached.Reply = reply;
        }

        return reply;
    }

    /// <summary>Length of "class.subject.detail" (RFC 3463 §2) at the start of the text, or 0.</summary>
    internal static int MatchEnhancedCode(ReadOnlySpan<byte> text, byte replyClass)
    {
        // RFC 3463 §2: class is 2, 4 or 5 and must agree with the reply code's first digit.
        if (text.Length < 5 || text[0] != replyClass || text[0] is not ((byte)'2' or (byte)'4' or (byte)'5') || text[1] != (byte)'.')
        {
            return 0;
        }

        int i = 2;
        int digits = CountDigits(text[i..]);
        if (digits is 0 or > 3)
        {
            return 0;
        }

        i += digits;
        if (i >= text.Length || text[i] != (byte)'.')
        {
            return 0;
        }

        i++;
        digits = CountDigits(text[i..]);
        if (digits is 0 or > 3)
        {
            return 0;
        }

        i += digits;
        return i == text.Length || text[i] == (byte)' ' ? i : 0;
    }

    private static int CountDigits(ReadOnlySpan<byte> span)
    {
        int n = 0;
        while (n < span.Length && IsDigit(span[n]))
        {
            n++;
        }

        return n;
    }

    private static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';

    private void EnsureCapacity(int more)
    {
        if (_length + more > _normalized.Length)
        {
            Array.Resize(ref _normalized, Math.Max(_normalized.Length * 2, _length + more));
        }
    }

    private sealed class CachedReply
    {
        public byte[] Bytes { get; } = new byte[MaxCachedLength];

        public int Length { get; set; }

        public SmtpReply? Reply { get; set; }
    }
}
