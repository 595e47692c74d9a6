using System.Buffers;

namespace MtaCluster.Smtp.Protocol;

/// <summary>
/// A growing message body made of ArrayPool segments (16 KiB doubling to 1 MiB), so a message costs no
/// large-object allocation while it arrives and the segments go back to the pool when it is done.
/// </summary>
public sealed class MessageBuffer : IDisposable
{
    private const int FirstSegment = 16 * 1024;
    private const int LargestSegment = 1024 * 1024;

    private readonly List<byte[]> _segments = new();
    private int _lastUsed;

    public long Length { get; private set; }

    public void Write(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            if (_segments.Count == 0 || _lastUsed == _segments[^1].Length)
            {
                int size = _segments.Count == 0 ? FirstSegment : Math.Min(_segments[^1].Length * 2, LargestSegment);
                _segments.Add(ArrayPool<byte>.Shared.Rent(size));
                _lastUsed = 0;
            }
            var target = _segments[^1].AsSpan(_lastUsed);
            int n = Math.Min(target.Length, data.Length);
            data[..n].CopyTo(target);
            data = data[n..];
            _lastUsed += n;
            Length += n;
        }
    }

    public void CopyTo(Span<byte> destination)
    {
        for (int i = 0; i < _segments.Count; i++)
        {
            int used = i == _segments.Count - 1 ? _lastUsed : _segments[i].Length;
            _segments[i].AsSpan(0, used).CopyTo(destination);
            destination = destination[used..];
        }
    }

    public byte[] ToArray()
    {
        var result = new byte[Length];
        CopyTo(result);
        return result;
    }

    public void Clear()
    {
        foreach (var segment in _segments) ArrayPool<byte>.Shared.Return(segment);
        _segments.Clear();
        _lastUsed = 0;
        Length = 0;
    }

    public void Dispose() => Clear();
}
