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

    /// <summary>
    /// The body where it is, as one sequence over the pooled segments: valid until <see cref="Clear"/>
    /// or <see cref="Dispose"/>, which is how the spool stores a message without a second copy.
    /// </summary>
    public ReadOnlySequence<byte> AsSequence()
    {
        if (_segments.Count == 0) return ReadOnlySequence<byte>.Empty;
        if (_segments.Count == 1) return new ReadOnlySequence<byte>(_segments[0], 0, _lastUsed);
        var first = new Segment(_segments[0]);
        var last = first;
        for (int i = 1; i < _segments.Count; i++)
        {
            last = last.Append(_segments[i].AsMemory(0, i == _segments.Count - 1 ? _lastUsed : _segments[i].Length));
        }
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
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

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
