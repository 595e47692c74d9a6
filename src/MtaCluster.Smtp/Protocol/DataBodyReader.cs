using System.Buffers;

namespace MtaCluster.Smtp.Protocol;

/// <summary>
/// Reads a DATA body (RFC 5321 §4.1.1.4): removes dot-stuffing (§4.5.2) and ends only at
/// &lt;CRLF&gt;.&lt;CRLF&gt;. Bare CR and bare LF never start a line, so &lt;LF&gt;.&lt;LF&gt;, &lt;CR&gt;.&lt;CR&gt;
/// and &lt;LF&gt;.&lt;CRLF&gt; cannot end the body (SMTP smuggling); they mark the message for rejection.
/// NUL is not allowed in 7bit or 8bit content (RFC 2045 §2.7–2.8, RFC 6152, RFC 5322 §2.1): a receiver that
/// drops it would read &lt;CRLF&gt;&lt;NUL&gt;.&lt;CRLF&gt; as the end of data, so it marks the message for
/// rejection too, or is stripped; either way it never changes the framing, since a line that starts with
/// NUL is text even once the NUL is gone. Bare line endings and NUL are found in the one pass that looks for
/// CR and LF. State is kept across calls, so the terminator may be split over any number of reads.
/// </summary>
public sealed class DataBodyReader
{
    private enum State
    {
        LineStart,
        Text,
        CarriageReturn,
        Dot,
        DotCarriageReturn,
    }

    private MessageBuffer? _sink;
    private State _state;
    private long _maxSize;
    private int _maxLineLength;
    private int _lineLength;
    private bool _stripNul;

    public bool BareLineEnding { get; private set; }

    public bool LineTooLong { get; private set; }

    public bool SizeExceeded { get; private set; }

    /// <summary>The body held NUL; stripped from what was kept when the reader was started so.</summary>
    public bool ContainsNul { get; private set; }

    public bool HasError => ErrorReply is not null;

    /// <summary>The reply for a rejected body, checked in order of what the client most needs to fix.</summary>
    public EncodedReply? ErrorReply =>
        SizeExceeded ? SmtpReplies.MessageTooBig
        : BareLineEnding ? SmtpReplies.BareLineEndingInData
        : ContainsNul && !_stripNul ? SmtpReplies.NulInData
        : LineTooLong ? SmtpReplies.TextLineTooLong
        : null;

    /// <summary>Starts a body; <paramref name="stripNul"/> drops NUL from it instead of refusing the message.</summary>
    public void Start(MessageBuffer sink, long maxSize, int maxLineLength, bool stripNul = false)
    {
        _sink = sink;
        _maxSize = maxSize;
        _maxLineLength = maxLineLength;
        _stripNul = stripNul;
        _state = State.LineStart;
        _lineLength = 0;
        BareLineEnding = LineTooLong = SizeExceeded = ContainsNul = false;
    }

    /// <summary>
    /// Consumes body bytes from <paramref name="buffer"/> (sliced past what was used). Returns true when the
    /// terminating dot line has been consumed; false means every byte was taken and more are needed.
    /// </summary>
    public bool TryRead(ref ReadOnlySequence<byte> buffer)
    {
        long consumed = 0;
        foreach (var memory in buffer)
        {
            var span = memory.Span;
            int i = 0;
            while (i < span.Length)
            {
                switch (_state)
                {
                    case State.Text:
                    {
                        int next = span[i..].IndexOfAny((byte)'\r', (byte)'\n', (byte)0);
                        int run = next < 0 ? span.Length - i : next;
                        Emit(span.Slice(i, run));
                        _lineLength += run;
                        i += run;
                        if (next < 0) break;
                        switch (span[i])
                        {
                            case (byte)'\r':
                                _state = State.CarriageReturn;
                                break;
                            case (byte)'\n':
                                BareLineEnding = true;
                                Emit("\n"u8);
                                break;
                            default:
                                // Still in Text: a stripped NUL must not make what follows a line start.
                                ContainsNul = true;
                                if (!_stripNul)
                                {
                                    Emit("\0"u8);
                                    _lineLength++;
                                }
                                break;
                        }
                        i++;
                        break;
                    }
                    case State.LineStart:
                        switch (span[i])
                        {
                            case (byte)'.':
                                _state = State.Dot;
                                _lineLength = 1;
                                i++;
                                break;
                            case (byte)'\r':
                                _state = State.CarriageReturn;
                                i++;
                                break;
                            default:
                                _state = State.Text;
                                break;
                        }
                        break;
                    case State.CarriageReturn:
                        if (span[i] == (byte)'\n')
                        {
                            Emit("\r\n"u8);
                            if (_lineLength + 2 > _maxLineLength) LineTooLong = true;
                            _lineLength = 0;
                            _state = State.LineStart;
                            i++;
                        }
                        else
                        {
                            BareLineEnding = true;
                            Emit("\r"u8);
                            _lineLength++;
                            _state = State.Text;
                        }
                        break;
                    case State.Dot:
                        if (span[i] == (byte)'\r')
                        {
                            _state = State.DotCarriageReturn;
                            i++;
                        }
                        else
                        {
                            // §4.5.2: the first dot of a line is removed; what follows is ordinary text.
                            _state = State.Text;
                        }
                        break;
                    case State.DotCarriageReturn:
                        if (span[i] == (byte)'\n')
                        {
                            consumed += i + 1;
                            buffer = buffer.Slice(consumed);
                            return true;
                        }
                        BareLineEnding = true;
                        Emit("\r"u8);
                        _state = State.Text;
                        break;
                }
            }
            consumed += span.Length;
        }
        buffer = buffer.Slice(buffer.End);
        return false;
    }

    private void Emit(ReadOnlySpan<byte> data)
    {
        if (SizeExceeded || data.IsEmpty) return;
        if (_sink!.Length + data.Length > _maxSize)
        {
            // RFC 5321 §4.5.3.1.10: keep reading to the end, keep nothing, then answer 552.
            SizeExceeded = true;
            _sink.Clear();
            return;
        }
        _sink.Write(data);
    }
}
