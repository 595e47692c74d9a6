using System.Buffers;

namespace MtaCluster.Testing;

/// <summary>A <see cref="ReadOnlySequence{T}"/> made of the given pieces, one segment each, as pooled receive buffers make them.</summary>
public static class SegmentedSequence
{
    public static ReadOnlySequence<byte> Of(params ReadOnlyMemory<byte>[] pieces)
    {
        if (pieces.Length == 0) return ReadOnlySequence<byte>.Empty;
        var first = new Segment(pieces[0], 0);
        var last = first;
        for (int i = 1; i < pieces.Length; i++) last = last.Append(pieces[i]);
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary><paramref name="content"/> cut into pieces of <paramref name="size"/> octets (the last one shorter).</summary>
    public static ReadOnlySequence<byte> Chunked(byte[] content, int size)
    {
        var pieces = new List<ReadOnlyMemory<byte>>();
        for (int at = 0; at < content.Length; at += size) pieces.Add(content.AsMemory(at, Math.Min(size, content.Length - at)));
        return Of([.. pieces]);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
