using System.Buffers;

namespace MtaCluster.Smtp.Protocol;

/// <summary>
/// Reads BDAT chunks (RFC 3030 §2): each one exactly its counted octets, with no framing inside, into the
/// message body. Line endings are judged across chunk boundaries, since a CRLF may be split between two
/// chunks. A refused chunk is still read off the wire, or its bytes would be taken as commands.
/// </summary>
public sealed class BdatChunkReader
{
    private MessageBuffer? _sink;
    private LineEndingValidator _lineEndings;
    private long _remaining;

    /// <summary>The octet count the current chunk's BDAT command announced.</summary>
    public long Size { get; private set; }

    public bool IsLast { get; private set; }

    /// <summary>Why the current chunk is refused; its octets are then read and dropped.</summary>
    public SmtpReply? Error { get; private set; }

    /// <summary>Starts a chunk; with an <paramref name="error"/> nothing of it reaches <paramref name="sink"/>.</summary>
    public void Begin(long size, bool last, MessageBuffer? sink, SmtpReply? error)
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
            foreach (var segment in buffer.Slice(0, n))
            {
                _sink.Write(segment.Span);
                _lineEndings.Feed(segment.Span);
            }
        }
        buffer = buffer.Slice(n);
        _remaining -= n;
        return _remaining == 0;
    }

    /// <summary>After the LAST chunk: the reply that refuses the message as a whole, or null to accept it.</summary>
    public SmtpReply? CompleteMessage()
    {
        bool valid = _lineEndings.Complete();
        _lineEndings.Reset();
        return valid ? null : SmtpReplies.BareLineEndingInData;
    }

    /// <summary>Forgets the transaction's chunks (RSET, a new MAIL, the end of the session).</summary>
    public void Reset()
    {
        _lineEndings.Reset();
        _sink = null;
        _remaining = 0;
        Error = null;
    }
}
