using System.Buffers;
using System.Text;
using MtaCluster.Mail;
using MtaCluster.Smtp.Client.Protocol;
using MtaCluster.Smtp.Client.Transactions;

namespace MtaCluster.Smtp.Client.Tests.Protocol;

public class SmtpCommandWriterTests
{
    [Fact]
    public void Mail_carries_the_parameters_of_the_offered_extensions_only()
    {
        var tx = new MessageTransaction("a@origin.test", new[] { new TransactionRecipient("b@example.test") }, new byte[1234])
        {
            BodyType = MessageBodyType.EightBitMime,
            Return = DsnReturn.Headers,
            EnvelopeId = "id+1=x y",
        };

        Assert.Equal("MAIL FROM:<a@origin.test> BODY=8BITMIME SIZE=1234 SMTPUTF8 RET=HDRS ENVID=id+2B1+3Dx+20y\r\n",
            Write(w => SmtpCommandWriter.WriteMailFrom(w, tx, SmtpExtensions.EightBitMime | SmtpExtensions.Size | SmtpExtensions.Dsn, smtpUtf8: true)));
        Assert.Equal("MAIL FROM:<a@origin.test>\r\n", Write(w => SmtpCommandWriter.WriteMailFrom(w, tx, SmtpExtensions.None, smtpUtf8: false)));
    }

    [Fact]
    public void A_7bit_body_sends_no_body_parameter_since_none_means_7bit()
    {
        var tx = new MessageTransaction("a@origin.test", new[] { new TransactionRecipient("b@example.test") }, new byte[10]) { BodyType = MessageBodyType.SevenBit };
        Assert.Equal("MAIL FROM:<a@origin.test> SIZE=10\r\n", Write(w => SmtpCommandWriter.WriteMailFrom(w, tx, SmtpExtensions.EightBitMime | SmtpExtensions.Size, smtpUtf8: false)));
    }

    [Fact]
    public void Null_reverse_path_is_empty_brackets()
    {
        var tx = new MessageTransaction(string.Empty, new[] { new TransactionRecipient("b@example.test") }, Array.Empty<byte>());
        Assert.Equal("MAIL FROM:<>\r\n", Write(w => SmtpCommandWriter.WriteMailFrom(w, tx, SmtpExtensions.None, smtpUtf8: false)));
    }

    [Fact]
    public void Rcpt_carries_notify_and_orcpt_in_xtext_when_dsn_is_offered()
    {
        var recipient = new TransactionRecipient("b@example.test")
        {
            Notify = DsnNotify.Success | DsnNotify.Failure | DsnNotify.Delay,
            OriginalRecipient = "b+tag@example.test",
        };

        Assert.Equal("RCPT TO:<b@example.test> NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;b+2Btag@example.test\r\n", Write(w => SmtpCommandWriter.WriteRcptTo(w, recipient, dsn: true)));
        Assert.Equal("RCPT TO:<b@example.test>\r\n", Write(w => SmtpCommandWriter.WriteRcptTo(w, recipient, dsn: false)));
        Assert.Equal("RCPT TO:<b@example.test> NOTIFY=NEVER\r\n", Write(w => SmtpCommandWriter.WriteRcptTo(w, new TransactionRecipient("b@example.test") { Notify = DsnNotify.Never }, dsn: true)));
    }

    [Fact]
    public void Non_ascii_orcpt_goes_as_utf8_addr_xtext()
    {
        var recipient = new TransactionRecipient("b@example.test") { OriginalRecipient = "jöe+x@example.test" };
        Assert.Equal("RCPT TO:<b@example.test> ORCPT=utf-8;j\\x{F6}e\\x{2B}x@example.test\r\n", Write(w => SmtpCommandWriter.WriteRcptTo(w, recipient, dsn: true)));
    }

    private static string Write(Action<IBufferWriter<byte>> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
