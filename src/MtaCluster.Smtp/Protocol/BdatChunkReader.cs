using System.Buffers;

namespace MtaCluster.Smtp.Protocol;

/// <summary>
/// Reads BDAT chunks (RFC 3030 §2): each one exactly its counted octets, with no framing inside, into the
/// message body. A refused chunk is still read off the wire, or its bytes would be taken as commands.
/// Counted octets mean nothing in the transfer itself rules out a bare &lt;LF&gt;.&lt;LF&gt; or a
/// &lt;CRLF&gt;&lt;NUL&gt;.&lt;CRLF&gt;; relaying such a body over DATA to a lenient receiver would smuggle a
/// second message through us. So every CR must be followed by LF and every LF preceded by CR, across chunk
/// boundaries, and NUL (RFC 2045 §2.7–2.8, RFC 5322 §2.1) is refused or stripped, all found in the one
/// pass that copies the octets.
/// </summary>
public sealed class BdatChunkReader(bool stripNul = false)
{
    private MessageBuffer? _sink;
    private long _remaining;
    private bool _afterCr;
    private bool _bareLineEnding;
    private bool _containsNul;

    /// <summary>The octet count the current chunk's BDAT command announced.</summary>
    public long Size { get; private set; }

    public bool IsLast { get; private set; }

    /// <summary>Why the current chunk is refused; its octets are then read and dropped.</summary>
    public EncodedReply? Error { get; private set; }

    /// <summary>The message so far held NUL; stripped from what was kept when the reader strips.</summary>
    public bool ContainsNul => _containsNul;

    /// <summary>Starts a chunk; with an <paramref name="error"/> nothing of it reaches <paramref name="sink"/>.</summary>
    public void Begin(long size, bool last, MessageBuffer? sink, EncodedReply? error)
    {
        Size = _remaining = size;
        IsLast = last;
        Error = error;
        _sink = error is null ? sink : null;
    }

    /// <summary>
    /// Takes the chunk's octets from <paramref name="buffer"/> (sliced past them). True when the whole chunk
    /// has been read; false means every byte was taken and more are needed.
    /// </summary>
    public bool TryRead(ref ReadOnlySequence<byte> buffer)
    {
        if (_remaining == 0) return true;
        if (buffer.IsEmpty) return false;
        long n = Math.Min(_remaining, buffer.Length);
        if (_sink is not null)
        {
            foreach (var segment in buffer.Slice(0, n)) Copy(segment.Span);
        }
        buffer = buffer.Slice(n);
        _remaining -= n;
        return _remaining == 0;
    }

    /// <summary>After the LAST chunk: the reply that refuses the message as a whole, or null to accept it.</summary>
    public EncodedReply? CompleteMessage()
    {
        if (_afterCr) _bareLineEnding = true;
        return _bareLineEnding ? SmtpReplies.BareLineEndingInData
            : _containsNul && !stripNul ? SmtpReplies.NulInData
            : null;
    }

    /// <summary>Forgets the transaction's chunks (RSET, a new MAIL, the end of the session).</summary>
    public void Reset()
    {
        _sink = null;
        _remaining = 0;
        Error = null;
        _afterCr = _bareLineEnding = _containsNul = false;
    }

    private void Copy(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty) return;
        int i = 0;
        if (_afterCr)
        {
            _afterCr = false;
            if (data[0] == (byte)'\n') i = 1;
            else _bareLineEnding = true;
        }
        int unwritten = 0;
        while (i < data.Length)
        {
            int at = data[i..].IndexOfAny((byte)'\r', (byte)'\n', (byte)0);
            if (at < 0) break;
            i += at;
            switch (data[i])
            {
                case (byte)'\r':
                    if (i + 1 == data.Length) _afterCr = true;
                    else if (data[i + 1] == (byte)'\n') i++;
                    else _bareLineEnding = true;
                    break;
                case (byte)'\n':
                    _bareLineEnding = true;
                    break;
                default:
                    _containsNul = true;
                    if (stripNul)
                    {
                        _sink!.Write(data[unwritten..i]);
                        unwritten = i + 1;
                    }
                    break;
            }
            i++;
        }
        _sink!.Write(data[unwritten..]);
    }
}
