using System.Buffers;

namespace MtaCluster.Delivery.Scheduling;

/// <summary>
/// Builds a <see cref="ReadOnlySequence{T}"/> over pieces of other memory without copying them: the
/// message without its lane headers is the same pooled buffers, only linked around the cut ranges.
/// </summary>
internal sealed class SequenceChain : ReadOnlySequenceSegment<byte>
{
    private SequenceChain(ReadOnlyMemory<byte> memory, long runningIndex)
    {
        Memory = memory;
        RunningIndex = runningIndex;
    }

    /// <summary>Links <paramref name="pieces"/> in order; empty pieces are left out.</summary>
    public static ReadOnlySequence<byte> Link(IEnumerable<ReadOnlyMemory<byte>> pieces)
    {
        SequenceChain? first = null, last = null;
        foreach (var piece in pieces)
        {
            if (piece.IsEmpty) continue;
            var next = new SequenceChain(piece, last is null ? 0 : last.RunningIndex + last.Memory.Length);
            if (last is null) first = next;
            else last.Next = next;
            last = next;
        }
        return first is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(first, 0, last!, last!.Memory.Length);
    }
}
