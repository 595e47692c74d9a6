using System.Buffers;

namespace MtaCluster.Mail;

/// <summary>
/// A message's octets as the server received them, without gathering them into one array: a small
/// <see cref="Prefix"/> the server wrote (trace fields, RFC 5321 §4.4; submission fix-ups, RFC 6409 §8)
/// in front of the <see cref="Body"/> the client sent, which stays in the buffers it arrived in.
/// A 35 MB message thus costs no large-object allocation between the socket and the spool.
/// Only valid while whoever owns those buffers keeps them (for the SMTP server: until the spool
/// has accepted the message).
/// </summary>
public readonly struct MessageContent
{
    public MessageContent(ReadOnlyMemory<byte> prefix, ReadOnlySequence<byte> body)
    {
        Prefix = prefix;
        Body = body;
    }

    public MessageContent(ReadOnlyMemory<byte> content)
        : this(ReadOnlyMemory<byte>.Empty, new ReadOnlySequence<byte>(content))
    {
    }

    public ReadOnlyMemory<byte> Prefix { get; }

    public ReadOnlySequence<byte> Body { get; }

    public long Length => Prefix.Length + Body.Length;

    public bool IsEmpty => Length == 0;

    public static implicit operator MessageContent(byte[] content) => new(content);

    public static implicit operator MessageContent(ReadOnlyMemory<byte> content) => new(content);

    /// <summary>The pieces in order, prefix first; empty pieces are left out.</summary>
    public IEnumerable<ReadOnlyMemory<byte>> Segments()
    {
        if (!Prefix.IsEmpty) yield return Prefix;
        foreach (var segment in Body)
        {
            if (!segment.IsEmpty) yield return segment;
        }
    }

    public void CopyTo(Span<byte> destination)
    {
        if (destination.Length < Length) throw new ArgumentException("The destination is shorter than the content.", nameof(destination));
        Prefix.Span.CopyTo(destination);
        Body.CopyTo(destination[Prefix.Length..]);
    }

    /// <summary>One new array: for tests and for callers that must keep the content past its owner's buffers.</summary>
    public byte[] ToArray()
    {
        var result = new byte[Length];
        CopyTo(result);
        return result;
    }
}
