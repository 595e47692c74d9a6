using System.Buffers;
using System.Buffers.Text;

namespace MtaCluster.Mime.Dkim;

/// <summary>
/// Appends the octets of a DKIM-Signature field to a pooled buffer that grows by doubling, folding
/// where RFC 6376 §3.2 allows white space (after ':' in h=, inside base64) to keep lines under 78.
/// </summary>
internal struct DkimSignatureWriter
{
    private const int FoldAt = 76;

    private byte[] _buffer;
    private int _lineStart;

    public DkimSignatureWriter(int capacity)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(capacity);
        Length = 0;
        _lineStart = 0;
    }

    public int Length { get; private set; }

    public readonly ReadOnlySpan<byte> Written => _buffer.AsSpan(0, Length);

    public void Append(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(Length));
        Length += bytes.Length;
        var lastBreak = bytes.LastIndexOf((byte)'\n');
        if (lastBreak >= 0) _lineStart = Length - bytes.Length + lastBreak + 1;
    }

    /// <summary>Starts a continuation line first when <paramref name="bytes"/> would not fit on this one.</summary>
    public void AppendFolding(ReadOnlySpan<byte> bytes)
    {
        if (Length - _lineStart + bytes.Length > FoldAt && Length > _lineStart + 1) Append("\r\n\t"u8);
        Append(bytes);
    }

    public void AppendNumber(long value)
    {
        Ensure(20);
        Utf8Formatter.TryFormat(value, _buffer.AsSpan(Length), out var written);
        Length += written;
    }

    /// <summary>Base64 of <paramref name="data"/>, folded into continuation lines.</summary>
    public void AppendBase64(ReadOnlySpan<byte> data)
    {
        var length = Base64.GetMaxEncodedToUtf8Length(data.Length);
        Span<byte> encoded = length <= 1024 ? stackalloc byte[length] : new byte[length];
        Base64.EncodeToUtf8(data, encoded, out _, out var written);
        encoded = encoded[..written];
        while (!encoded.IsEmpty)
        {
            var room = FoldAt - (Length - _lineStart);
            if (room <= 8)
            {
                Append("\r\n\t"u8);
                room = FoldAt - 1;
            }
            var take = Math.Min(room, encoded.Length);
            Append(encoded[..take]);
            encoded = encoded[take..];
        }
    }

    public readonly void Return() => ArrayPool<byte>.Shared.Return(_buffer);

    private void Ensure(int more)
    {
        if (Length + more <= _buffer.Length) return;
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, Length + more));
        _buffer.AsSpan(0, Length).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }
}
