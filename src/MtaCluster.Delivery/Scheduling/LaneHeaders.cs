using System.Buffers;

namespace MtaCluster.Delivery.Scheduling;

/// <summary>
/// The lane and campaign a message's header block asks for, and where those header fields sit so
/// they can be taken out before delivery. A message without them is the default value: nothing
/// requested, nothing to remove, nothing allocated.
/// </summary>
public readonly struct LaneHeaders
{
    private readonly HeaderRange[]? _removals;
    private readonly int _removalCount;

    internal LaneHeaders(RequestedLane lane, CampaignTag campaignTag, string? campaign, HeaderRange[]? removals, int removalCount)
    {
        Lane = lane;
        CampaignTag = campaignTag;
        Campaign = campaign;
        _removals = removals;
        _removalCount = removalCount;
    }

    public RequestedLane Lane { get; }

    public CampaignTag CampaignTag { get; }

    /// <summary>The campaign id when <see cref="CampaignTag"/> is <see cref="Scheduling.CampaignTag.Valid"/>.</summary>
    public string? Campaign { get; }

    /// <summary>Every X-MtaCluster-Lane and X-MtaCluster-Campaign field, in message order, whatever its value.</summary>
    public ReadOnlySpan<HeaderRange> Removals => _removals.AsSpan(0, _removalCount);

    /// <summary>Copies <paramref name="content"/> without the <see cref="Removals"/>.</summary>
    public void CopyWithout(ReadOnlySequence<byte> content, IBufferWriter<byte> destination)
    {
        long position = 0;
        foreach (var range in Removals)
        {
            Write(content.Slice(position, range.Start - position), destination);
            position = range.End;
        }
        Write(content.Slice(position), destination);
    }

    /// <summary>
    /// <paramref name="content"/> without the <see cref="Removals"/>, over the same buffers: nothing
    /// is copied, and a message without the fields comes back as it is.
    /// </summary>
    public ReadOnlySequence<byte> Without(ReadOnlySequence<byte> content)
    {
        if (_removalCount == 0) return content;
        return SequenceChain.Link(Pieces(content, _removals!, _removalCount));
    }

    private static IEnumerable<ReadOnlyMemory<byte>> Pieces(ReadOnlySequence<byte> content, HeaderRange[] removals, int count)
    {
        long position = 0;
        for (var i = 0; i <= count; i++)
        {
            var kept = i < count ? content.Slice(position, removals[i].Start - position) : content.Slice(position);
            foreach (var segment in kept) yield return segment;
            if (i < count) position = removals[i].End;
        }
    }

    private static void Write(ReadOnlySequence<byte> part, IBufferWriter<byte> destination)
    {
        foreach (var segment in part) destination.Write(segment.Span);
    }
}
