using System.Buffers;
using MtaCluster.Smtp.Protocol;
using MtaCluster.Smtp.Tests.TestSupport;

namespace MtaCluster.Smtp.Tests.Protocol;

public class BdatChunkReaderTests
{
    [Fact]
    public void A_chunk_takes_exactly_its_count_and_leaves_the_next_command()
    {
        var reader = new BdatChunkReader();
        using var sink = new MessageBuffer();
        reader.Begin(5, last: false, sink, error: null);
        var buffer = ByteSegments.Split("ab\r\ncBDAT 0 LAST\r\n"u8.ToArray(), 2, 4);
        Assert.True(reader.TryRead(ref buffer));
        Assert.Equal("BDAT 0 LAST\r\n"u8.ToArray(), buffer.ToArray());
        Assert.Equal("ab\r\nc"u8.ToArray(), sink.ToArray());
    }

    [Fact]
    public void A_partial_chunk_asks_for_more()
    {
        var reader = new BdatChunkReader();
        using var sink = new MessageBuffer();
        reader.Begin(10, last: true, sink, error: null);
        var buffer = new ReadOnlySequence<byte>("abc"u8.ToArray());
        Assert.False(reader.TryRead(ref buffer));
        Assert.True(buffer.IsEmpty);
        buffer = new ReadOnlySequence<byte>("defghij\r\n"u8.ToArray());
        Assert.True(reader.TryRead(ref buffer));
        Assert.Equal("\r\n"u8.ToArray(), buffer.ToArray());
    }

    [Fact]
    public void A_refused_chunk_is_read_off_the_wire_and_kept_nowhere()
    {
        var reader = new BdatChunkReader();
        using var sink = new MessageBuffer();
        reader.Begin(3, last: true, sink, SmtpReplies.MessageTooBig);
        var buffer = new ReadOnlySequence<byte>("xyzNOOP\r\n"u8.ToArray());
        Assert.True(reader.TryRead(ref buffer));
        Assert.Same(SmtpReplies.MessageTooBig, reader.Error);
        Assert.Equal(0, sink.Length);
        Assert.Equal("NOOP\r\n"u8.ToArray(), buffer.ToArray());
    }

    [Fact]
    public void A_crlf_split_between_chunks_is_a_line_ending_and_a_cr_at_the_very_end_is_bare()
    {
        var reader = new BdatChunkReader();
        using var sink = new MessageBuffer();
        reader.Begin(2, last: false, sink, null);
        var first = new ReadOnlySequence<byte>("a\r"u8.ToArray());
        reader.TryRead(ref first);
        reader.Begin(2, last: true, sink, null);
        var second = new ReadOnlySequence<byte>("\nb"u8.ToArray());
        reader.TryRead(ref second);
        Assert.Null(reader.CompleteMessage());

        reader.Reset();
        reader.Begin(2, last: true, sink, null);
        var trailing = new ReadOnlySequence<byte>("a\r"u8.ToArray());
        reader.TryRead(ref trailing);
        Assert.Same(SmtpReplies.BareLineEndingInData, reader.CompleteMessage());
    }
}
