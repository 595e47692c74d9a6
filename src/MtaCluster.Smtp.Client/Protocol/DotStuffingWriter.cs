using System.Buffers;

namespace MtaCluster.Smtp.Client.Protocol;

/// <summary>
/// Writes message content as DATA puts it on the wire (RFC 5321 §4.1.1.4, §4.5.2): CRLF line
/// ends, a "." added to every line that starts with one, and our own "CRLF . CRLF" at the end.
/// The content may come in pieces split anywhere, a CRLF included; the output does not depend on
/// where.
/// </summary>
/// <remarks>
/// This is the last line of defence against message smuggling: whatever the spool holds, the bytes
/// sent end the data only at <see cref="Complete"/>. A bare LF, a bare CR (CR CR LF is a bare CR
/// and a CRLF) each become CRLF and start a line that is stuffed like any other, so
/// "LF . LF", "CR . CR" and "CRLF . LF" cannot be read as the end of data by a receiver that
/// takes any of them for a line end. A NUL is refused, not passed on: a receiver that drops NULs
/// would read "CRLF NUL . CRLF" as the end of data. Clean runs of lines are copied in one piece,
/// so ordinary mail costs one vectorised scan and one copy.
/// </remarks>
internal sealed class DotStuffingWriter
{
    private const byte Cr = (byte)'\r';
    private const byte Lf = (byte)'\n';
    private const byte Dot = (byte)'.';

    private readonly IBufferWriter<byte> _output;

    // The next content byte starts a line (true before any content).
    private bool _lineStart = true;

    // The last byte written to us was a CR, held back until the next byte says whether it was bare.
    private bool _pendingCr;

    public DotStuffingWriter(IBufferWriter<byte> output)
    {
        _output = output;
    }

    /// <summary>Writes the next piece of content.</summary>
    /// <exception cref="InvalidDataException">This piece holds a NUL; nothing of it is written, but earlier pieces were, so callers check first.</exception>
    public void Write(ReadOnlySpan<byte> content)
    {
        if (content.IsEmpty)
        {
            return;
        }

        // One pass for NUL up front keeps the per-line search to two values, which is measurably faster.
        if (content.Contains((byte)0))
        {
            throw new InvalidDataException("The message content contains a NUL character.");
        }

        int i = 0;
        if (_pendingCr)
        {
            _pendingCr = false;
            _output.Write("\r\n"u8);
            _lineStart = true;
            if (content[0] == Lf)
            {
                i = 1;
            }
        }

        // content[run..i] is clean and not yet written.
        int run = i;
        if (_lineStart && i < content.Length)
        {
            _lineStart = false;
            if (content[i] == Dot)
            {
                _output.Write("."u8);
            }
        }

        while (i < content.Length)
        {
            int found = content[i..].IndexOfAny(Cr, Lf);
            if (found < 0)
            {
                break;
            }

            int p = i + found;
            switch (content[p])
            {
                case Cr when p + 1 == content.Length:
                    _output.Write(content[run..p]);
                    _pendingCr = true;
                    return;
                case Cr when content[p + 1] == Lf:
                    p += 2;
                    break;
                default:
                    // A bare CR or a bare LF: the line ends here, with a proper CRLF.
                    _output.Write(content[run..p]);
                    _output.Write("\r\n"u8);
                    p++;
                    run = p;
                    break;
            }

            if (p == content.Length)
            {
                _lineStart = true;
                i = p;
                break;
            }

            if (content[p] == Dot)
            {
                _output.Write(content[run..p]);
                _output.Write("."u8);
                run = p;
            }

            i = p;
        }

        _output.Write(content[run..]);
    }

    /// <summary>Ends the last line if the content did not, and writes the terminating "." line.</summary>
    public void Complete()
    {
        if (_pendingCr)
        {
            _pendingCr = false;
            _lineStart = true;
            _output.Write("\r\n"u8);
        }

        _output.Write(_lineStart ? ".\r\n"u8 : "\r\n.\r\n"u8);
        _lineStart = true;
    }
}
