using System.Buffers;
using System.Text;
using MtaCluster.Smtp.Protocol;

namespace MtaCluster.Smtp.Tests.Protocol;

public class DataBodyReaderTests
{
    private static (bool Ended, string Body, DataBodyReader Reader, long Left) Read(string wire, long maxSize = 10_000, int maxLine = 1000, bool byteByByte = false)
    {
        var reader = new DataBodyReader();
        var sink = new MessageBuffer();
        reader.Start(sink, maxSize, maxLine);
        var bytes = Encoding.UTF8.GetBytes(wire);
        bool ended = false;
        long left = 0;
        if (byteByByte)
        {
            for (int i = 0; i < bytes.Length && !ended; i++)
            {
                var one = new ReadOnlySequence<byte>(bytes, i, 1);
                ended = reader.TryRead(ref one);
                if (ended) left = bytes.Length - i - 1;
            }
        }
        else
        {
            var all = new ReadOnlySequence<byte>(bytes);
            ended = reader.TryRead(ref all);
            left = all.Length;
        }
        return (ended, Encoding.UTF8.GetString(sink.ToArray()), reader, left);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Ends_at_crlf_dot_crlf_and_unstuffs(bool byteByByte)
    {
        var (ended, body, reader, left) = Read("Subject: x\r\n\r\n..leading dot\r\n.\r\nQUIT\r\n", byteByByte: byteByByte);
        Assert.True(ended);
        Assert.False(reader.HasError);
        Assert.Equal("Subject: x\r\n\r\n.leading dot\r\n", body);
        Assert.Equal("QUIT\r\n".Length, left);
    }

    [Fact]
    public void Terminator_split_over_segments_is_found()
    {
        var sequence = SmtpCommandParserTests.Split("hello\r", "\n", ".", "\r", "\nNOOP");
        var reader = new DataBodyReader();
        var sink = new MessageBuffer();
        reader.Start(sink, 1000, 1000);
        Assert.True(reader.TryRead(ref sequence));
        Assert.Equal("NOOP", Encoding.ASCII.GetString(sequence.ToArray()));
        Assert.Equal("hello\r\n", Encoding.ASCII.GetString(sink.ToArray()));
    }

    [Fact]
    public void Empty_message_is_just_the_dot_line()
    {
        var (ended, body, _, _) = Read(".\r\n");
        Assert.True(ended);
        Assert.Equal("", body);
    }

    [Theory]
    [InlineData("hello\n.\nmore\r\n")]
    [InlineData("hello\r.\rmore\r\n")]
    [InlineData("hello\n.\r\nmore\r\n")]
    [InlineData("hello\r\n.\nmore\r\n")]
    [InlineData("hello\r\n.\rmore\r\n")]
    public void Smuggling_terminators_do_not_end_data_and_mark_the_message(string wire)
    {
        var (ended, _, reader, _) = Read(wire);
        Assert.False(ended);
        Assert.True(reader.BareLineEnding);
        var (endedLater, _, readerLater, _) = Read(wire + ".\r\n");
        Assert.True(endedLater);
        Assert.Equal(SmtpReplies.BareLineEndingInData, readerLater.ErrorReply);
    }

    [Fact]
    public void Text_line_over_the_limit_is_flagged()
    {
        var (ended, _, reader, _) = Read(new string('x', 999) + "\r\n.\r\n", maxLine: 1000);
        Assert.True(ended);
        Assert.True(reader.LineTooLong);
        Assert.False(Read(new string('x', 998) + "\r\n.\r\n", maxLine: 1000).Reader.LineTooLong);
    }

    [Fact]
    public void Body_over_the_size_limit_is_read_to_the_end_and_kept_nowhere()
    {
        var (ended, body, reader, _) = Read(new string('x', 50) + "\r\n" + new string('y', 50) + "\r\n.\r\n", maxSize: 60);
        Assert.True(ended);
        Assert.True(reader.SizeExceeded);
        Assert.Equal("", body);
        Assert.Equal(SmtpReplies.MessageTooBig, reader.ErrorReply);
    }
}
