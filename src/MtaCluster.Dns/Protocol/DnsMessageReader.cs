using System.Buffers.Binary;

namespace MtaCluster.Dns.Protocol;

/// <summary>
/// Bounds-checked cursor over a received message. Every read that would leave the message throws
/// <see cref="DnsResponseException"/>, so hostile input never surfaces as an indexing error.
/// </summary>
internal ref struct DnsMessageReader
{
    /// <summary>
    /// Upper bound on compression pointers followed for one name. Pointers must already move strictly
    /// backwards, which rules out loops; the cap additionally bounds the work per name.
    /// </summary>
    private const int MaxPointerJumps = 127;

    private readonly ReadOnlySpan<byte> _message;
    private int _position;

    public DnsMessageReader(ReadOnlySpan<byte> message)
    {
        _message = message;
        _position = 0;
    }

    public int Position => _position;

    public int Length => _message.Length;

    public int Remaining => _message.Length - _position;

    public byte ReadByte()
    {
        Ensure(1);
        return _message[_position++];
    }

    public ushort ReadUInt16()
    {
        Ensure(2);
        ushort value = BinaryPrimitives.ReadUInt16BigEndian(_message.Slice(_position, 2));
        _position += 2;
        return value;
    }

    public uint ReadUInt32()
    {
        Ensure(4);
        uint value = BinaryPrimitives.ReadUInt32BigEndian(_message.Slice(_position, 4));
        _position += 4;
        return value;
    }

    public ReadOnlySpan<byte> ReadBytes(int count)
    {
        if (count < 0)
        {
            throw Malformed("negative length");
        }

        Ensure(count);
        ReadOnlySpan<byte> slice = _message.Slice(_position, count);
        _position += count;
        return slice;
    }

    /// <summary>
    /// Reads a possibly compressed name (RFC 1035 §4.1.4). A pointer must target an offset below the
    /// start of the label run it continues, so each jump strictly decreases the position and a
    /// pointer loop is impossible.
    /// </summary>
    public string ReadName()
    {
        Span<char> chars = stackalloc char[DnsName.MaxWireLength * 4 + 1];
        var builder = new ValueStringBuilderLite(chars);
        int position = _position;
        int runStart = _position;
        int wireLength = 1;
        int jumps = 0;
        bool jumped = false;

        while (true)
        {
            if (position >= _message.Length)
            {
                throw Malformed("name runs past the end of the message");
            }

            byte length = _message[position];
            switch (length & 0xC0)
            {
                case 0x00:
                    if (length == 0)
                    {
                        if (!jumped)
                        {
                            _position = position + 1;
                        }

                        return wireLength == 1 ? DnsName.Root : builder.ToString();
                    }

                    if (position + 1 + length > _message.Length)
                    {
                        throw Malformed("label runs past the end of the message");
                    }

                    wireLength += length + 1;
                    if (wireLength > DnsName.MaxWireLength)
                    {
                        throw Malformed("name longer than 255 octets");
                    }

                    DnsName.AppendLabel(ref builder, _message.Slice(position + 1, length));
                    position += 1 + length;
                    break;

                case 0xC0:
                    if (position + 1 >= _message.Length)
                    {
                        throw Malformed("compression pointer runs past the end of the message");
                    }

                    int target = ((length & 0x3F) << 8) | _message[position + 1];
                    if (target >= runStart)
                    {
                        throw Malformed("compression pointer does not point backwards");
                    }

                    if (++jumps > MaxPointerJumps)
                    {
                        throw Malformed("too many compression pointers");
                    }

                    if (!jumped)
                    {
                        _position = position + 2;
                        jumped = true;
                    }

                    runStart = target;
                    position = target;
                    break;

                default:
                    // RFC 6891 §5 retired extended label types; 0x40 and 0x80 are never valid here.
                    throw Malformed("unsupported label type");
            }
        }
    }

    public void Seek(int position)
    {
        if (position < 0 || position > _message.Length)
        {
            throw Malformed("seek outside the message");
        }

        _position = position;
    }

    internal static DnsResponseException Malformed(string detail) =>
        new($"Malformed DNS message: {detail}.");

    private readonly void Ensure(int count)
    {
        if (count > _message.Length - _position)
        {
            throw Malformed("unexpected end of data");
        }
    }
}
