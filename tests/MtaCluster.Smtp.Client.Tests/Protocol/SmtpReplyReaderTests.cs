using System.Buffers;
using System.Text;
using MtaCluster.Mail;
using MtaCluster.Smtp.Client.Protocol;

namespace MtaCluster.Smtp.Client.Tests.Protocol;

public class SmtpReplyReaderTests
{
    [Fact]
    public void Multi_line_reply_is_joined_with_newlines_and_the_enhanced_code_kept_once()
    {
        var reader = new SmtpReplyReader(64 * 1024, 1) { EnhancedStatusCodes = true };
        ReadOnlySequence<byte> buffer = Bytes("550-5.1.1 No such user\r\n550-5.1.1 here at all\r\n550 5.1.1 really\r\n");

        Assert.True(reader.TryRead(buffer, SmtpReplyReader.NoCache, out SmtpReply? reply, out SequencePosition consumed));

        Assert.Equal(550, reply.Code);
        Assert.Equal("5.1.1", reply.EnhancedCode?.ToString());
        Assert.Equal("No such user\nhere at all\nreally", reply.Text);
        Assert.True(reply.IsPermanent);
        Assert.Equal(buffer.End, consumed);
    }

    [Fact]
    public void A_reply_split_across_segments_and_reads_needs_more_data_then_parses()
    {
        var reader = new SmtpReplyReader(64 * 1024, 1) { EnhancedStatusCodes = true };

        Assert.False(reader.TryRead(Bytes("250-first\r\n250 2.0"), SmtpReplyReader.NoCache, out _, out _));

        ReadOnlySequence<byte> split = Segments("25", "0-fir", "st\r\n2", "50 2.0.0 se", "cond\r\n");
        Assert.True(reader.TryRead(split, SmtpReplyReader.NoCache, out SmtpReply? reply, out _));
        Assert.Equal("2.0.0", reply.EnhancedCode?.ToString());
        Assert.Equal("first\nsecond", reply.Text);
    }

    [Fact]
    public void Pipelined_replies_are_read_one_at_a_time()
    {
        var reader = new SmtpReplyReader(64 * 1024, 1) { EnhancedStatusCodes = true };
        ReadOnlySequence<byte> buffer = Bytes("250 2.1.0 Ok\r\n550 5.1.1 Unknown\r\n354 go\r\n");
        var codes = new List<int>();
        while (reader.TryRead(buffer, SmtpReplyReader.NoCache, out SmtpReply? reply, out SequencePosition consumed))
        {
            codes.Add(reply.Code);
            buffer = buffer.Slice(consumed);
        }

        Assert.Equal(new[] { 250, 550, 354 }, codes);
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void Enhanced_codes_are_text_unless_announced_or_when_the_class_disagrees()
    {
        var plain = new SmtpReplyReader(1024, 1);
        Assert.True(plain.TryRead(Bytes("250 2.0.0 Ok\r\n"), SmtpReplyReader.NoCache, out SmtpReply? reply, out _));
        Assert.Null(reply.EnhancedCode);
        Assert.Equal("2.0.0 Ok", reply.Text);

        var enhanced = new SmtpReplyReader(1024, 1) { EnhancedStatusCodes = true };
        Assert.True(enhanced.TryRead(Bytes("450 5.1.1 odd\r\n"), SmtpReplyReader.NoCache, out reply, out _));
        Assert.Null(reply.EnhancedCode);
        Assert.True(enhanced.TryRead(Bytes("250\r\n"), SmtpReplyReader.NoCache, out reply, out _));
        Assert.Equal(string.Empty, reply.Text);
        Assert.True(enhanced.TryRead(Bytes("421 4.4.2 bye\n"), SmtpReplyReader.NoCache, out reply, out _));
        Assert.Equal("4.4.2", reply.EnhancedCode?.ToString());
    }

    [Theory]
    [InlineData("hello world\r\n")]
    [InlineData("25 Ok\r\n")]
    [InlineData("250xOk\r\n")]
    [InlineData("650 Ok\r\n")]
    public void Garbage_is_a_protocol_error(string input)
    {
        var reader = new SmtpReplyReader(1024, 1);
        Assert.Throws<SmtpProtocolException>(() => reader.TryRead(Bytes(input), SmtpReplyReader.NoCache, out _, out _));
    }

    [Fact]
    public void An_endless_line_is_a_protocol_error()
    {
        var reader = new SmtpReplyReader(1024, 1);
        Assert.Throws<SmtpProtocolException>(() => reader.TryRead(Bytes("250 " + new string('x', 5000)), SmtpReplyReader.NoCache, out _, out _));
    }

    [Fact]
    public void A_repeated_reply_in_a_cache_slot_is_the_same_instance()
    {
        var reader = new SmtpReplyReader(1024, 2) { EnhancedStatusCodes = true };
        reader.TryRead(Bytes("250 2.1.5 Ok\r\n"), 1, out SmtpReply? first, out _);
        reader.TryRead(Bytes("250 2.1.5 Ok\r\n"), 1, out SmtpReply? second, out _);
        reader.TryRead(Bytes("250 2.1.5 Other\r\n"), 1, out SmtpReply? third, out _);

        Assert.Same(first, second);
        Assert.NotSame(first, third);
        Assert.Equal("Other", third!.Text);
    }

    [Fact]
    public void Capabilities_are_parsed_from_the_ehlo_reply()
    {
        var reader = new SmtpReplyReader(1024, 1);
        reader.TryRead(Bytes("250-mx.test\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250-8BITMIME\r\n250-smtputf8\r\n250-DSN\r\n250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250-AUTH PLAIN\r\n250 CHUNKING\r\n"), SmtpReplyReader.NoCache, out SmtpReply? reply, out _);

        SmtpCapabilities capabilities = SmtpCapabilities.Parse(reply!);

        Assert.Equal(
            SmtpExtensions.Pipelining | SmtpExtensions.Size | SmtpExtensions.EightBitMime | SmtpExtensions.SmtpUtf8 | SmtpExtensions.Dsn | SmtpExtensions.StartTls | SmtpExtensions.EnhancedStatusCodes | SmtpExtensions.Chunking,
            capabilities.Extensions);
        Assert.Equal(1000, capabilities.MaxMessageSize);
        Assert.Contains("AUTH PLAIN", capabilities.Keywords);
    }

    [Fact]
    public void Size_without_a_number_or_zero_means_no_limit()
    {
        Assert.Null(SmtpCapabilities.Parse(new SmtpReply(250, null, "mx\nSIZE")).MaxMessageSize);
        Assert.Null(SmtpCapabilities.Parse(new SmtpReply(250, null, "mx\nSIZE 0")).MaxMessageSize);
        Assert.True(SmtpCapabilities.Parse(new SmtpReply(250, null, "mx\nSIZE 0")).Supports(SmtpExtensions.Size));
    }

    private static ReadOnlySequence<byte> Bytes(string text) => new(Encoding.UTF8.GetBytes(text));

    private static ReadOnlySequence<byte> Segments(params string[] parts)
    {
        var first = new Segment(Encoding.UTF8.GetBytes(parts[0]), 0);
        Segment last = first;
        foreach (string part in parts.Skip(1))
        {
            last = last.Append(Encoding.UTF8.GetBytes(part));
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
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
