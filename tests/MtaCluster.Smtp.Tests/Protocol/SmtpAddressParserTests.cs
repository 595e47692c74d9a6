using System.Text;
using MtaCluster.Smtp.Protocol;

namespace MtaCluster.Smtp.Tests.Protocol;

public class SmtpAddressParserTests
{
    [Theory]
    [InlineData("<user@example.com>", "user", "example.com")]
    [InlineData("<User.Name+tag@Sub.Example.COM>", "User.Name+tag", "sub.example.com")]
    [InlineData("<\"john doe\"@example.com>", "\"john doe\"", "example.com")]
    [InlineData("<\"a\\\"b>c\"@example.com>", "\"a\\\"b>c\"", "example.com")]
    [InlineData("<postmaster@[127.0.0.1]>", "postmaster", "[127.0.0.1]")]
    [InlineData("<x@[IPv6:2001:db8::1]>", "x", "[IPv6:2001:db8::1]")]
    [InlineData("<@relay1.example,@relay2.example:user@example.com>", "user", "example.com")]
    [InlineData("<a@xn--bcher-kva.example>", "a", "xn--bcher-kva.example")]
    public void Valid_paths(string path, string localPart, string routingDomain)
    {
        int used = SmtpAddressParser.ParsePath(Encoding.UTF8.GetBytes(path), isSender: false, allowUtf8: false, out var mailbox);
        Assert.Equal(Encoding.UTF8.GetByteCount(path), used);
        Assert.Equal(localPart, mailbox!.LocalPart);
        Assert.Equal(routingDomain, mailbox.RoutingDomain);
    }

    [Fact]
    public void Idn_domains_route_by_their_a_label()
    {
        SmtpAddressParser.ParsePath(Encoding.UTF8.GetBytes("<a@Bücher.example>"), false, allowUtf8: true, out var mailbox);
        Assert.Equal("Bücher.example", mailbox!.Domain);
        Assert.Equal("xn--bcher-kva.example", mailbox.RoutingDomain);
    }

    [Fact]
    public void Utf8_local_part_needs_smtputf8()
    {
        var path = Encoding.UTF8.GetBytes("<jösé@example.com>");
        var ex = Assert.Throws<SmtpProtocolException>(() => SmtpAddressParser.ParsePath(path, false, allowUtf8: false, out _));
        Assert.Equal(553, ex.Reply.Code);
        Assert.Equal("5.6.7", ex.Reply.EnhancedCode.ToString());
        SmtpAddressParser.ParsePath(path, false, allowUtf8: true, out var mailbox);
        Assert.Equal("jösé", mailbox!.LocalPart);
    }

    [Theory]
    [InlineData("user@example.com")]
    [InlineData("<user@example.com")]
    [InlineData("<user>")]
    [InlineData("<.user@example.com>")]
    [InlineData("<us..er@example.com>")]
    [InlineData("<user@-example.com>")]
    [InlineData("<user@example..com>")]
    [InlineData("<user@example.com.>")]
    [InlineData("<user@[300.1.1.1]>")]
    [InlineData("<user@[IPv6:zz::1]>")]
    [InlineData("<us er@example.com>")]
    [InlineData("<user@exa_mple.com>")]
    public void Bad_syntax_is_501_5_1_3(string path)
    {
        var ex = Assert.Throws<SmtpProtocolException>(() => SmtpAddressParser.ParsePath(Encoding.ASCII.GetBytes(path), false, false, out _));
        Assert.Equal(501, ex.Reply.Code);
        Assert.Equal("5.1.3", ex.Reply.EnhancedCode.ToString());
    }

    [Fact]
    public void Null_path_only_for_the_sender()
    {
        Assert.Equal(2, SmtpAddressParser.ParsePath("<>"u8, isSender: true, false, out var mailbox));
        Assert.Null(mailbox);
        Assert.Throws<SmtpProtocolException>(() => SmtpAddressParser.ParsePath("<>"u8, isSender: false, false, out _));
    }

    [Fact]
    public void Overlong_local_part_is_refused()
    {
        var path = Encoding.ASCII.GetBytes("<" + new string('a', 65) + "@example.com>");
        Assert.Equal(553, Assert.Throws<SmtpProtocolException>(() => SmtpAddressParser.ParsePath(path, false, false, out _)).Reply.Code);
    }
}
