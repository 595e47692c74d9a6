using MtaCluster.Mail;

namespace MtaCluster.Mail.Tests;

/// <summary>Text from the other side of a connection cannot end its log field early or start a new line.</summary>
public class LogValueTests
{
    [Theory]
    [InlineData("user@example.com")]
    [InlineData("用户@例子.中国")]
    [InlineData("o'brien+tag@example.com")]
    public void An_ordinary_address_is_unchanged(string address) =>
        Assert.Same(address, LogValue.Escape(address));

    [Fact]
    public void A_quoted_local_part_cannot_close_the_address_and_add_fields()
    {
        // "a> attempt=99 <"@example.com is a valid RFC 5321 address.
        string escaped = LogValue.Escape("\"a> attempt=99 <\"@example.com");
        Assert.Equal("\\x22a\\x3E\\x20attempt=99\\x20\\x3C\\x22@example.com", escaped);
        Assert.DoesNotContain(' ', escaped);
        Assert.DoesNotContain('>', escaped);
    }

    [Fact]
    public void A_reply_keeps_its_spaces_and_brackets_but_cannot_close_its_quotes_or_break_the_line()
    {
        string reply = "550 5.1.1 <bob@example.com>: no such user\" status=\"delivered\r\nforged line";
        string escaped = LogValue.Escape(reply, quoted: true);
        Assert.Equal("550 5.1.1 <bob@example.com>: no such user\\x22 status=\\x22delivered\\x0D\\x0Aforged line", escaped);
    }

    [Fact]
    public void A_backslash_is_escaped_so_an_escape_cannot_be_forged()
    {
        Assert.Equal("a\\x5Cx22b", LogValue.Escape("a\\x22b", quoted: true));
    }

    [Fact]
    public void Unicode_line_separators_and_c1_controls_are_escaped()
    {
        Assert.Equal("a\\u2028b\\x85c", LogValue.Escape("a\u2028b\u0085c", quoted: true));
    }
}
