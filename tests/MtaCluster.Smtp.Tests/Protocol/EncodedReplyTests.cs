using System.Buffers;
using System.Text;
using MtaCluster.Mail;
using MtaCluster.Smtp.Protocol;

namespace MtaCluster.Smtp.Tests.Protocol;

public class EncodedReplyTests
{
    [Fact]
    public void The_wire_form_is_the_shared_reply_encoded_once()
    {
        var shared = new SmtpReply(550, new EnhancedStatusCode(5, 7, 1), "Relay access denied");
        var reply = new EncodedReply(shared);
        Assert.Same(shared, reply.Reply);
        Assert.Equal("550 5.7.1 Relay access denied\r\n", Encoding.ASCII.GetString(reply.Encoded));
        Assert.Equal(shared.ToString(), Encoding.ASCII.GetString(reply.Encoded));
        Assert.Equal("550 5.7.1 Relay access denied", reply.ToString());
    }

    [Fact]
    public void Every_line_of_a_multiline_reply_carries_the_code_and_enhanced_code()
    {
        var reply = new EncodedReply(214, new EnhancedStatusCode(2, 0, 0), "Commands: EHLO\nSee RFC 5321");
        Assert.Equal("214-2.0.0 Commands: EHLO\r\n214 2.0.0 See RFC 5321\r\n", Encoding.ASCII.GetString(reply.Encoded));
    }

    [Fact]
    public void An_empty_challenge_keeps_the_space_RFC_4954_requires()
    {
        Assert.Equal("334 \r\n", Encoding.ASCII.GetString(new EncodedReply(334, null, "").Encoded));
    }

    [Fact]
    public void A_suffix_is_written_into_the_text_of_a_one_line_reply()
    {
        var output = new ArrayBufferWriter<byte>();
        SmtpReplies.QueuedAs.WriteTo(output, "Q00001");
        Assert.Equal("250 2.0.0 Ok: queued as Q00001\r\n", Encoding.ASCII.GetString(output.WrittenSpan));
        Assert.Throws<InvalidOperationException>(() => new EncodedReply(250, null, "a\nb").WriteTo(output, "x"));
    }
}
