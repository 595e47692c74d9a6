using System.Buffers.Binary;

namespace MtaCluster.Dns.Protocol;

/// <summary>
/// Growable big-endian buffer that encodes messages, compressing names against suffixes already
/// written (RFC 1035 §4.1.4).
/// </summary>
internal sealed class DnsMessageWriter
{
    /// <summary>Compression pointers carry 14 bits of offset.</summary>
    private const int MaxPointerOffset = 0x3FFF;

    private readonly Dictionary<string, int> _suffixOffsets = new(StringComparer.OrdinalIgnoreCase);
    private byte[] _buffer;
    private int _length;

    public DnsMessageWriter(int initialCapacity = 512)
    {
        _buffer = new byte[Math.Max(initialCapacity, 16)];
    }

    public int Length => _length;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    public byte[] ToArray() => _buffer.AsSpan(0, _length).ToArray();

    public void WriteByte(byte value)
    {
        Grow(1);
        _buffer[_length++] = value;
    }

    public void WriteUInt16(ushort value)
    {
        Grow(2);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(_length), value);
        _length += 2;
    }

    public void WriteUInt32(uint value)
    {
        Grow(4);
        BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(_length), value);
        _length += 4;
    }

    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        Grow(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
    }

    public void PatchUInt16(int offset, ushort value) =>
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(offset, 2), value);

    /// <summary>
    /// Writes a name, replacing its longest already-written suffix with a pointer. Names inside
    /// RDATA of types defined after RFC 1035 must not be compressed (RFC 3597 §4), hence the flag.
    /// </summary>
    public void WriteName(string name, bool compress = true)
    {
        List<DnsName.Label> labels = DnsName.Split(name);
        for (int i = 0; i < labels.Count; i++)
        {
            string? suffix = null;
            if (compress)
            {
                suffix = SuffixKey(name, labels[i].TextOffset);
                if (_suffixOffsets.TryGetValue(suffix, out int offset))
                {
                    WriteUInt16((ushort)(0xC000 | offset));
                    return;
                }
            }

            if (suffix is not null && _length <= MaxPointerOffset)
            {
                _suffixOffsets[suffix] = _length;
            }

            byte[] octets = labels[i].Octets;
            WriteByte((byte)octets.Length);
            WriteBytes(octets);
        }

        WriteByte(0);
    }

    private static string SuffixKey(string name, int textOffset)
    {
        string suffix = name.Substring(textOffset);
        return suffix.EndsWith('.') ? suffix : suffix + ".";
    }

    private void Grow(int count)
    {
        if (_length + count <= _buffer.Length)
        {
            return;
        }

        int size = Math.Max(_buffer.Length * 2, _length + count);
        Array.Resize(ref _buffer, size);
    }
}
