using System.Buffers;
using System.Text;

namespace MtaCluster.Delivery.Scheduling;

/// <summary>
/// Finds X-MtaCluster-Lane and X-MtaCluster-Campaign in a message's header block (RFC 5322 section
/// 2.2: up to the first empty line; a line starting with space or tab continues the field above it).
/// Field names match case-insensitively, with optional white space before the colon (the obsolete
/// syntax of RFC 5322 section 4.5). Reads the bytes in place: a header block without the two fields
/// costs one scan for CRLF per line and allocates nothing.
/// </summary>
public static class LaneHeaderScanner
{
    /// <summary>Longest campaign id kept: it is written into every accounting record of the message.</summary>
    public const int MaxCampaignLength = 128;

    private const int MaxValueLength = 256;
    private const int LongestName = 21;

    private static ReadOnlySpan<byte> CrLf => "\r\n"u8;
    private static ReadOnlySpan<byte> LaneName => "X-MtaCluster-Lane"u8;
    private static ReadOnlySpan<byte> CampaignName => "X-MtaCluster-Campaign"u8;

    private enum Field { Other, Lane, Campaign }

    public static LaneHeaders Scan(ReadOnlyMemory<byte> content) => Scan(new ReadOnlySequence<byte>(content));

    public static LaneHeaders Scan(ReadOnlySequence<byte> content)
    {
        var reader = new SequenceReader<byte>(content);
        Span<byte> value = stackalloc byte[MaxValueLength];
        Span<byte> head = stackalloc byte[LongestName + 8];
        var valueLength = 0;
        var overflow = false;
        var field = Field.Other;
        long fieldStart = 0;

        var lane = RequestedLane.None;
        var campaignTag = CampaignTag.None;
        string? campaign = null;
        HeaderRange[]? removals = null;
        var removalCount = 0;

        while (true)
        {
            var lineStart = reader.Consumed;
            var complete = reader.TryReadTo(out ReadOnlySequence<byte> line, CrLf, advancePastDelimiter: true);
            if (!complete)
            {
                // The block ends without CRLF (headers only): the rest is the last line.
                line = reader.UnreadSequence;
                reader.AdvanceToEnd();
            }

            var firstByte = line.IsEmpty ? (byte)0 : FirstByte(line);
            var continuation = firstByte is (byte)' ' or (byte)'\t';
            if (!continuation && field != Field.Other)
            {
                Finish(field, value[..valueLength], overflow, ref lane, ref campaignTag, ref campaign);
                Add(ref removals, ref removalCount, new HeaderRange(fieldStart, lineStart - fieldStart));
                field = Field.Other;
            }

            if (line.IsEmpty) break;

            if (continuation)
            {
                if (field != Field.Other) Append(line, value, ref valueLength, ref overflow);
            }
            else if (firstByte is (byte)'X' or (byte)'x')
            {
                field = Recognise(line, head, out var colon);
                if (field != Field.Other)
                {
                    fieldStart = lineStart;
                    valueLength = 0;
                    overflow = false;
                    Append(line.Slice(colon + 1), value, ref valueLength, ref overflow);
                }
            }

            if (!complete)
            {
                if (field != Field.Other)
                {
                    Finish(field, value[..valueLength], overflow, ref lane, ref campaignTag, ref campaign);
                    Add(ref removals, ref removalCount, new HeaderRange(fieldStart, reader.Consumed - fieldStart));
                }
                break;
            }
        }

        return new LaneHeaders(lane, campaignTag, campaign, removals, removalCount);
    }

    private static byte FirstByte(ReadOnlySequence<byte> line)
    {
        // A slice can start at the very end of a segment, leaving its first span empty.
        var span = line.FirstSpan;
        if (span.Length > 0) return span[0];
        var reader = new SequenceReader<byte>(line);
        reader.TryPeek(out var first);
        return first;
    }

    /// <summary>Which of our fields the line starts, and where its colon is.</summary>
    private static Field Recognise(ReadOnlySequence<byte> line, Span<byte> head, out long colon)
    {
        colon = -1;
        var length = (int)Math.Min(line.Length, head.Length);
        line.Slice(0, length).CopyTo(head);
        var start = head[..length];
        var at = start.IndexOf((byte)':');
        if (at < 0) return Field.Other;
        var name = start[..at].TrimEnd(" \t"u8);
        colon = at;
        if (Ascii.EqualsIgnoreCase(name, LaneName)) return Field.Lane;
        if (Ascii.EqualsIgnoreCase(name, CampaignName)) return Field.Campaign;
        return Field.Other;
    }

    // Unfolding (RFC 5322 section 2.2.3) removes only the CRLF; the white space that follows stays.
    private static void Append(ReadOnlySequence<byte> part, Span<byte> value, ref int valueLength, ref bool overflow)
    {
        if (overflow) return;
        if (valueLength + part.Length > value.Length)
        {
            overflow = true;
            return;
        }
        part.CopyTo(value[valueLength..]);
        valueLength += (int)part.Length;
    }

    private static void Finish(Field field, ReadOnlySpan<byte> raw, bool overflow, ref RequestedLane lane, ref CampaignTag campaignTag, ref string? campaign)
    {
        var text = raw.Trim(" \t"u8);
        if (field == Field.Lane)
        {
            var said = overflow ? RequestedLane.Unknown
                : Ascii.EqualsIgnoreCase(text, "transactional"u8) ? RequestedLane.Transactional
                : Ascii.EqualsIgnoreCase(text, "bulk"u8) ? RequestedLane.Bulk
                : RequestedLane.Unknown;
            // Two copies that disagree ask for nothing we can honour.
            lane = lane == RequestedLane.None || lane == said ? said : RequestedLane.Unknown;
            return;
        }

        if (campaignTag == CampaignTag.Invalid) return;
        if (overflow || !IsCampaignId(text))
        {
            campaignTag = CampaignTag.Invalid;
            campaign = null;
            return;
        }
        if (campaignTag == CampaignTag.Valid)
        {
            if (!Ascii.Equals(text, campaign!))
            {
                campaignTag = CampaignTag.Invalid;
                campaign = null;
            }
            return;
        }
        campaignTag = CampaignTag.Valid;
        campaign = Encoding.ASCII.GetString(text);
    }

    private static bool IsCampaignId(ReadOnlySpan<byte> text) =>
        text.Length is > 0 and <= MaxCampaignLength && !text.ContainsAnyExceptInRange((byte)0x21, (byte)0x7E);

    private static void Add(ref HeaderRange[]? removals, ref int count, HeaderRange range)
    {
        removals ??= new HeaderRange[2];
        if (count == removals.Length) Array.Resize(ref removals, count * 2);
        removals[count++] = range;
    }
}
