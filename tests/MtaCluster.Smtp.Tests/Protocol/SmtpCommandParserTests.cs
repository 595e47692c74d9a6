using System.Buffers;
using System.Text;
using MtaCluster.Mail;
using MtaCluster.Smtp.Protocol;

namespace MtaCluster.Smtp.Tests.Protocol;

public class SmtpCommandParserTests
{
    [Theory]
    [InlineData("EHLO x", SmtpCommandKind.Ehlo)]
    [InlineData("ehlo x", SmtpCommandKind.Ehlo)]
    [InlineData("MaIl FROM:<a@b>", SmtpCommandKind.Mail)]
    [InlineData("starttls", SmtpCommandKind.StartTls)]
    [InlineData("BDAT 10 LAST", SmtpCommandKind.Bdat)]
    [InlineData("QUIT", SmtpCommandKind.Quit)]
    [InlineData("EHLOX", SmtpCommandKind.Unknown)]
    [InlineData("FOO bar", SmtpCommandKind.Unknown)]
    public void Verbs_are_matched_case_insensitively_as_bytes(string line, SmtpCommandKind expected)
    {
        Assert.Equal(expected, SmtpCommandParser.ParseVerb(Encoding.ASCII.GetBytes(line), out _));
    }

    [Fact]
    public void A_line_split_across_segments_is_read_whole()
    {
        var sequence = Segments("MAIL FR", "OM:<a@b.c", ">\r", "\nRCPT");
        var reader = new SequenceReader<byte>(sequence);
        Assert.True(SmtpCommandParser.TryReadLine(ref reader, 512, out var line, out bool tooLong));
        Assert.False(tooLong);
        Assert.Equal("MAIL FROM:<a@b.c>\r", Encoding.ASCII.GetString(line.ToArray()));
        Assert.False(SmtpCommandParser.TryReadLine(ref reader, 512, out _, out tooLong));
        Assert.False(tooLong);
    }

    [Fact]
    public void An_unterminated_line_past_the_limit_is_reported_too_long()
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(new byte[600]));
        Assert.False(SmtpCommandParser.TryReadLine(ref reader, 512, out _, out bool tooLong));
        Assert.True(tooLong);
    }

    [Fact]
    public void Mail_parameters_are_parsed()
    {
        var mail = SmtpCommandParser.ParseMailFrom(
            "FROM:<a@example.com> SIZE=1000 BODY=8BITMIME RET=HDRS ENVID=abc+2Bdef SMTPUTF8"u8, 5000);
        Assert.Equal("a@example.com", mail.Sender!.Address);
        Assert.Equal(1000, mail.Size);
        Assert.Equal(MessageBodyType.EightBitMime, mail.Body);
        Assert.Equal(DsnReturn.Headers, mail.Return);
        Assert.Equal("abc+def", mail.EnvelopeId);
        Assert.True(mail.SmtpUtf8);
    }

    [Fact]
    public void Null_reverse_path_is_a_sender_without_mailbox()
    {
        Assert.Null(SmtpCommandParser.ParseMailFrom("FROM:<>"u8, 100).Sender);
    }

    [Fact]
    public void Declared_size_over_the_limit_is_552()
    {
        var ex = Assert.Throws<SmtpProtocolException>(() => SmtpCommandParser.ParseMailFrom("FROM:<a@b.c> SIZE=5001"u8, 5000));
        Assert.Equal(552, ex.Reply.Code);
        Assert.Equal("5.3.4", ex.Reply.EnhancedCode.ToString());
    }

    [Theory]
    [InlineData("FROM:<a@b.c> FOO=1", 555)]
    [InlineData("FROM:<a@b.c> BODY=9BIT", 501)]
    [InlineData("FROM:<a@b.c> SIZE=x", 501)]
    [InlineData("FROM:<a@b.c> ENVID=bad+zz", 501)]
    [InlineData("FROM:<a@b.c> SIZE=1 SIZE=2", 501)]
    [InlineData("TO:<a@b.c>", 501)]
    public void Bad_mail_parameters_are_refused(string arguments, int code)
    {
        var ex = Assert.Throws<SmtpProtocolException>(() => SmtpCommandParser.ParseMailFrom(Encoding.ASCII.GetBytes(arguments), 5000));
        Assert.Equal(code, ex.Reply.Code);
    }

    [Fact]
    public void Rcpt_dsn_parameters_are_parsed()
    {
        var rcpt = SmtpCommandParser.ParseRcptTo("TO:<r@Example.NET> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;r+40x@example.net"u8, false);
        Assert.Equal("example.net", rcpt.Recipient.RoutingDomain);
        Assert.Equal(DsnNotify.Success | DsnNotify.Delay, rcpt.Notify);
        Assert.Equal("rfc822;r@x@example.net", rcpt.OriginalRecipient);
    }

    [Theory]
    [InlineData("TO:<r@x.net> NOTIFY=NEVER,SUCCESS", 501)]
    [InlineData("TO:<r@x.net> NOTIFY=SOMETIMES", 501)]
    [InlineData("TO:<r@x.net> ORCPT=nosemicolon", 501)]
    [InlineData("TO:<r@x.net> SIZE=10", 555)]
    [InlineData("TO:<>", 501)]
    public void Bad_rcpt_parameters_are_refused(string arguments, int code)
    {
        var ex = Assert.Throws<SmtpProtocolException>(() => SmtpCommandParser.ParseRcptTo(Encoding.ASCII.GetBytes(arguments), false));
        Assert.Equal(code, ex.Reply.Code);
    }

    [Fact]
    public void Absent_dsn_parameters_are_not_given_rather_than_a_default_value()
    {
        var mail = SmtpCommandParser.ParseMailFrom("FROM:<a@example.com>"u8, 5000);
        var rcpt = SmtpCommandParser.ParseRcptTo("TO:<r@example.net>"u8, false);
        Assert.Equal((MessageBodyType.SevenBit, DsnReturn.NotGiven, null), (mail.Body, mail.Return, mail.EnvelopeId));
        Assert.Equal((DsnNotify.NotGiven, null), (rcpt.Notify, rcpt.OriginalRecipient));
    }

    [Theory]
    [InlineData("rfc822;J+C3+B6rg@example.net", "rfc822;Jörg@example.net")]
    [InlineData("RFC822;a+2Bb+3Dc@example.net", "rfc822;a+b=c@example.net")]
    [InlineData("rfc822;+E4+B8+AD@example.net", "rfc822;中@example.net")]
    [InlineData(@"utf-8;J\x{F6}rg@example.net", "utf-8;Jörg@example.net")]
    public void Orcpt_xtext_is_decoded_as_utf8(string orcpt, string decoded)
    {
        var rcpt = SmtpCommandParser.ParseRcptTo(Encoding.ASCII.GetBytes("TO:<r@example.net> ORCPT=" + orcpt), false);
        Assert.Equal(decoded, rcpt.OriginalRecipient);
    }

    [Fact]
    public void Orcpt_utf8_addr_unitext_is_decoded_under_smtputf8()
    {
        var rcpt = SmtpCommandParser.ParseRcptTo(Encoding.UTF8.GetBytes("TO:<r@example.net> ORCPT=utf-8;Jörg@example.net"), true);
        Assert.Equal("utf-8;Jörg@example.net", rcpt.OriginalRecipient);
    }

    [Theory]
    [InlineData("rfc822;J+F6rg@example.net", "UTF-8")] // a Latin-1 octet on its own is not UTF-8
    [InlineData("rfc822;J+C3rg@example.net", "UTF-8")] // a UTF-8 sequence cut short
    [InlineData("rfc822;a+zzb@example.net", "xtext")]
    [InlineData("rfc822;a+2bb@example.net", "xtext")] // RFC 3461 §4: upper-case hex only
    [InlineData("rfc822;a+4", "xtext")]
    [InlineData("rfc822;a=b@example.net", "xtext")]
    [InlineData(@"utf-8;J\x{D800}rg@example.net", "utf-8-addr-xtext")] // a surrogate is not a scalar value
    [InlineData(@"utf-8;J\x{}rg@example.net", "utf-8-addr-xtext")]
    [InlineData("utf-8;a+2Bb@example.net", "utf-8-addr-xtext")]
    public void Orcpt_that_cannot_be_decoded_exactly_is_501_5_5_4(string orcpt, string named)
    {
        var ex = Assert.Throws<SmtpProtocolException>(() =>
            SmtpCommandParser.ParseRcptTo(Encoding.ASCII.GetBytes("TO:<r@example.net> ORCPT=" + orcpt), false));
        Assert.Equal((501, new EnhancedStatusCode(5, 5, 4)), (ex.Reply.Code, ex.Reply.EnhancedCode));
        Assert.Contains("ORCPT", ex.Reply.Reply.Text);
        Assert.Contains(named, ex.Reply.Reply.Text);
    }

    [Fact]
    public void Orcpt_unitext_without_smtputf8_is_501_5_5_4()
    {
        var ex = Assert.Throws<SmtpProtocolException>(() =>
            SmtpCommandParser.ParseRcptTo(Encoding.UTF8.GetBytes("TO:<r@example.net> ORCPT=utf-8;Jörg@example.net"), false));
        Assert.Equal((501, new EnhancedStatusCode(5, 5, 4)), (ex.Reply.Code, ex.Reply.EnhancedCode));
    }

    [Theory]
    [InlineData("ENVID=a+C3+B6b", "aöb")]
    [InlineData("ENVID=QQ+2B1", "QQ+1")]
    public void Envid_xtext_is_decoded_as_utf8(string parameter, string decoded)
    {
        Assert.Equal(decoded, SmtpCommandParser.ParseMailFrom(Encoding.ASCII.GetBytes("FROM:<a@b.c> " + parameter), 5000).EnvelopeId);
    }

    [Theory]
    [InlineData("ENVID=a+F6b", "UTF-8")]
    [InlineData("ENVID=a+f6b", "xtext")]
    public void Envid_that_cannot_be_decoded_exactly_is_501_5_5_4(string parameter, string named)
    {
        var ex = Assert.Throws<SmtpProtocolException>(() => SmtpCommandParser.ParseMailFrom(Encoding.ASCII.GetBytes("FROM:<a@b.c> " + parameter), 5000));
        Assert.Equal((501, new EnhancedStatusCode(5, 5, 4)), (ex.Reply.Code, ex.Reply.EnhancedCode));
        Assert.Contains(named, ex.Reply.Reply.Text);
    }

    [Theory]
    [InlineData("100", 100, false)]
    [InlineData("0 LAST", 0, true)]
    [InlineData("  42   last ", 42, true)]
    public void Bdat_arguments(string arguments, long size, bool last)
    {
        Assert.Equal((size, last), SmtpCommandParser.ParseBdat(Encoding.ASCII.GetBytes(arguments)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("-1")]
    [InlineData("10 FIRST")]
    [InlineData("99999999999999999999")]
    public void Bad_bdat_arguments_are_501(string arguments)
    {
        var ex = Assert.Throws<SmtpProtocolException>(() => SmtpCommandParser.ParseBdat(Encoding.ASCII.GetBytes(arguments)));
        Assert.Equal(501, ex.Reply.Code);
    }

    [Fact]
    public void Xtext_round_trips()
    {
        var encoded = XText.Encode("a+b=c d");
        Assert.Equal("a+2Bb+3Dc+20d", encoded);
        Assert.True(XText.TryDecode(Encoding.ASCII.GetBytes(encoded), out var decoded));
        Assert.Equal("a+b=c d", decoded);
        Assert.False(XText.TryDecode("trailing+4"u8, out _));
    }

    private static ReadOnlySequence<byte> Segments(params string[] parts)
    {
        Segment? first = null, last = null;
        foreach (var part in parts)
        {
            var segment = new Segment(Encoding.ASCII.GetBytes(part));
            if (first is null) first = last = segment;
            else last = last!.Append(segment);
        }
        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    internal sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(Segment next)
        {
            next.RunningIndex = RunningIndex + Memory.Length;
            Next = next;
            return next;
        }
    }

    internal static ReadOnlySequence<byte> Split(params string[] parts) => Segments(parts);
}
