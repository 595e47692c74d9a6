namespace MtaCluster.Mail.Tests;

public class SmtpReplyTests
{
    [Theory]
    [InlineData(220, true, true, false, false, false)]
    [InlineData(250, true, true, false, false, false)]
    [InlineData(354, true, false, true, false, false)]
    [InlineData(421, false, false, false, true, false)]
    [InlineData(452, false, false, false, true, false)]
    [InlineData(550, false, false, false, false, true)]
    [InlineData(554, false, false, false, false, true)]
    public void The_code_decides_the_class(int code, bool positive, bool completion, bool intermediate, bool transient, bool permanent)
    {
        var reply = new SmtpReply(code, null, "text");
        Assert.Equal(positive, reply.IsPositive);
        Assert.Equal(completion, reply.IsPositiveCompletion);
        Assert.Equal(intermediate, reply.IsPositiveIntermediate);
        Assert.Equal(transient, reply.IsTransient);
        Assert.Equal(permanent, reply.IsPermanent);
    }

    [Theory]
    [InlineData(99)]
    [InlineData(600)]
    public void A_code_has_three_digits(int code)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SmtpReply(code, null, "x"));
    }

    [Fact]
    public void The_wire_form_repeats_the_code_and_enhanced_code_on_every_line()
    {
        var reply = new SmtpReply(550, new EnhancedStatusCode(5, 1, 1), ["No such user", "see https://example.test/why"]);
        Assert.Equal("550-5.1.1 No such user\r\n550 5.1.1 see https://example.test/why\r\n", reply.ToString());
        Assert.Equal("550 5.1.1 No such user see https://example.test/why", reply.ToLine());
        Assert.Equal(["No such user", "see https://example.test/why"], reply.Lines);
    }

    [Fact]
    public void The_wire_form_of_an_ehlo_reply_has_no_enhanced_code()
    {
        var reply = new SmtpReply(250, null, "mx.example.test\nPIPELINING\nSIZE 1000");
        Assert.Equal("250-mx.example.test\r\n250-PIPELINING\r\n250 SIZE 1000\r\n", reply.ToString());
        Assert.Equal(3, reply.Lines.Count);
    }

    [Fact]
    public void An_empty_text_is_just_the_code()
    {
        Assert.Equal("250\r\n", new SmtpReply(250, null, "").ToString());
        Assert.Equal("250 2.0.0\r\n", new SmtpReply(250, new EnhancedStatusCode(2, 0, 0), "").ToString());
        Assert.Equal("250 ", new SmtpReply(250, null, "").ToLine());
    }

    [Fact]
    public void A_local_reply_says_so()
    {
        SmtpReply local = SmtpReply.Local(421, new EnhancedStatusCode(4, 4, 2), "timed out");
        Assert.True(local.IsLocal);
        Assert.False(new SmtpReply(421, null, "bye").IsLocal);
        Assert.Equal("421 4.4.2 timed out", local.ToLine());
    }
}
