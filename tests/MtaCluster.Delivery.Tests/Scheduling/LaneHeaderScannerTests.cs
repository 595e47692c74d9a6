using System.Buffers;
using System.Text;
using MtaCluster.Delivery.Scheduling;

namespace MtaCluster.Delivery.Tests.Scheduling;

public class LaneHeaderScannerTests
{
    private const string Body = "\r\nHello,\r\nX-MtaCluster-Lane: bulk\r\n";

    private static LaneHeaders Scan(string message) => LaneHeaderScanner.Scan(Encoding.ASCII.GetBytes(message).AsMemory());

    private static string Without(string message, LaneHeaders headers)
    {
        var output = new ArrayBufferWriter<byte>();
        headers.CopyWithout(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(message)), output);
        return Encoding.ASCII.GetString(output.WrittenSpan);
    }

    [Fact]
    public void A_header_block_without_the_fields_asks_for_nothing_and_allocates_nothing()
    {
        var message = Encoding.ASCII.GetBytes(
            "Received: from client (client [127.0.0.1])\r\n\tby mta; Tue, 1 Dec 2026 00:00:00 +0000\r\nFrom: a@example.com\r\n" +
            "X-Mailer: test\r\nX-MtaCluster-Lanes: transactional\r\nSubject: hi\r\n" + Body).AsMemory();
        LaneHeaderScanner.Scan(message);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var headers = LaneHeaderScanner.Scan(message);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(RequestedLane.None, headers.Lane);
        Assert.Equal(CampaignTag.None, headers.CampaignTag);
        Assert.Null(headers.Campaign);
        Assert.Equal(0, headers.Removals.Length);
    }

    [Theory]
    [InlineData("X-MtaCluster-Lane: transactional", RequestedLane.Transactional)]
    [InlineData("x-mtacluster-lane: TRANSACTIONAL", RequestedLane.Transactional)]
    [InlineData("X-MTACLUSTER-LANE:bulk", RequestedLane.Bulk)]
    [InlineData("X-MtaCluster-Lane :  Bulk \t", RequestedLane.Bulk)]
    [InlineData("X-MtaCluster-Lane: urgent", RequestedLane.Unknown)]
    [InlineData("X-MtaCluster-Lane:", RequestedLane.Unknown)]
    [InlineData("X-MtaCluster-Lane: trans actional", RequestedLane.Unknown)]
    public void The_lane_is_read_whatever_the_case_and_a_bad_value_is_unknown_but_still_removed(string field, RequestedLane expected)
    {
        var message = $"From: a@example.com\r\n{field}\r\nSubject: hi\r\n{Body}";

        var headers = Scan(message);

        Assert.Equal(expected, headers.Lane);
        Assert.Equal($"From: a@example.com\r\nSubject: hi\r\n{Body}", Without(message, headers));
    }

    [Fact]
    public void A_folded_field_is_unfolded_and_removed_with_all_its_lines()
    {
        var message = "From: a@example.com\r\nX-MtaCluster-Lane:\r\n\ttransactional\r\nX-MtaCluster-Campaign:\r\n  spring-2026\r\nSubject: hi\r\n" + Body;

        var headers = Scan(message);

        Assert.Equal(RequestedLane.Transactional, headers.Lane);
        Assert.Equal(CampaignTag.Valid, headers.CampaignTag);
        Assert.Equal("spring-2026", headers.Campaign);
        Assert.Equal(
            [new HeaderRange(21, 36), new HeaderRange(57, 39)],
            headers.Removals.ToArray());
        Assert.Equal("From: a@example.com\r\nSubject: hi\r\n" + Body, Without(message, headers));
    }

    [Fact]
    public void Repeated_fields_that_agree_keep_their_value_and_every_copy_is_removed()
    {
        var message = "X-MtaCluster-Lane: bulk\r\nX-MtaCluster-Campaign: c1\r\nFrom: a@example.com\r\nx-mtacluster-lane: BULK\r\nX-MtaCluster-Campaign: c1\r\n" + Body;

        var headers = Scan(message);

        Assert.Equal(RequestedLane.Bulk, headers.Lane);
        Assert.Equal("c1", headers.Campaign);
        Assert.Equal(4, headers.Removals.Length);
        Assert.Equal("From: a@example.com\r\n" + Body, Without(message, headers));
    }

    [Fact]
    public void Repeated_fields_that_disagree_ask_for_nothing_that_can_be_honoured()
    {
        var headers = Scan("X-MtaCluster-Lane: bulk\r\nX-MtaCluster-Lane: transactional\r\nX-MtaCluster-Campaign: c1\r\nX-MtaCluster-Campaign: c2\r\n" + Body);

        Assert.Equal(RequestedLane.Unknown, headers.Lane);
        Assert.Equal(CampaignTag.Invalid, headers.CampaignTag);
        Assert.Null(headers.Campaign);
        Assert.Equal(4, headers.Removals.Length);
    }

    [Theory]
    [InlineData("with space")]
    [InlineData("")]
    [InlineData("caf\u00e9")]
    [InlineData("tab\there")]
    public void A_campaign_id_that_is_not_printable_ascii_is_invalid(string id)
    {
        var headers = LaneHeaderScanner.Scan(Encoding.UTF8.GetBytes($"X-MtaCluster-Campaign: {id}\r\n{Body}").AsMemory());

        Assert.Equal(CampaignTag.Invalid, headers.CampaignTag);
        Assert.Null(headers.Campaign);
        Assert.Equal(1, headers.Removals.Length);
    }

    [Fact]
    public void A_campaign_id_is_bounded_in_length()
    {
        var longest = new string('c', LaneHeaderScanner.MaxCampaignLength);
        Assert.Equal(longest, Scan($"X-MtaCluster-Campaign: {longest}\r\n{Body}").Campaign);
        Assert.Equal(CampaignTag.Invalid, Scan($"X-MtaCluster-Campaign: {longest}c\r\n{Body}").CampaignTag);
        // Longer than any value kept: still found, still removed.
        var huge = Scan($"X-MtaCluster-Campaign: {new string('c', 5000)}\r\nX-MtaCluster-Lane: {new string('b', 5000)}\r\n{Body}");
        Assert.Equal((CampaignTag.Invalid, RequestedLane.Unknown, 2), (huge.CampaignTag, huge.Lane, huge.Removals.Length));
    }

    [Fact]
    public void The_body_is_not_searched()
    {
        var headers = Scan("From: a@example.com\r\n\r\nX-MtaCluster-Lane: transactional\r\nX-MtaCluster-Campaign: c\r\n");

        Assert.Equal(RequestedLane.None, headers.Lane);
        Assert.Equal(0, headers.Removals.Length);
    }

    [Fact]
    public void A_header_block_that_ends_without_crlf_is_read_to_its_end()
    {
        var message = "From: a@example.com\r\nX-MtaCluster-Lane: transactional";

        var headers = Scan(message);

        Assert.Equal(RequestedLane.Transactional, headers.Lane);
        Assert.Equal("From: a@example.com\r\n", Without(message, headers));
    }

    [Fact]
    public void The_result_is_the_same_however_the_bytes_are_split_into_segments()
    {
        var message = "From: a@example.com\r\nX-MtaCluster-Lane:\r\n transactional\r\nX-MtaCluster-Campaign: spring\r\nSubject: x\r\n" + Body;
        var bytes = Encoding.ASCII.GetBytes(message);
        var whole = LaneHeaderScanner.Scan(bytes.AsMemory());

        for (var first = 1; first < bytes.Length - 1; first++)
        {
            for (var second = first + 1; second < bytes.Length; second += 7)
            {
                var split = LaneHeaderScanner.Scan(Split(bytes, first, second));
                Assert.Equal(whole.Lane, split.Lane);
                Assert.Equal(whole.Campaign, split.Campaign);
                Assert.Equal(whole.Removals.ToArray(), split.Removals.ToArray());
            }
        }
    }

    private static ReadOnlySequence<byte> Split(byte[] bytes, int first, int second)
    {
        var a = new Segment(bytes.AsMemory(0, first));
        var b = a.Append(new Segment(bytes.AsMemory(first, second - first)));
        var c = b.Append(new Segment(bytes.AsMemory(second)));
        return new ReadOnlySequence<byte>(a, 0, c, c.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(Segment next)
        {
            next.RunningIndex = RunningIndex + Memory.Length;
            Next = next;
            return next;
        }
    }
}
