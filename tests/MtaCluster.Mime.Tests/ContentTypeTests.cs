namespace MtaCluster.Mime.Tests;

public class ContentTypeTests
{
    [Fact]
    public void Type_subtype_and_parameters_parse_with_comments_quotes_and_case()
    {
        ContentType type = ContentType.Parse("Multipart/Report (a comment); Report-Type=delivery-status;\r\n boundary=\"=_a b\"");

        Assert.Equal("multipart/report", type.MimeType);
        Assert.True(type.IsMimeType("MULTIPART", "*"));
        Assert.Equal("delivery-status", type.Parameters["report-type"]);
        Assert.Equal("=_a b", type.Boundary);
    }

    [Fact]
    public void Rfc2231_continuations_join_in_section_order_with_the_charset_of_the_first()
    {
        ContentType type = ContentType.Parse(
            "application/octet-stream; name*1*=%E6%96%87; name*0*=utf-8'zh'%E4%B8%AD; name*2=.txt");

        Assert.Equal("中文.txt", type.Parameters["name"]);
    }

    [Fact]
    public void Rfc2231_in_a_legacy_charset_and_rfc2047_inside_quotes_both_decode()
    {
        Assert.Equal("中文", ContentType.Parse("text/plain; name*=gb2312''%D6%D0%CE%C4").Parameters["name"]);
        Assert.Equal("中文", ContentType.Parse("text/plain; name=\"=?utf-8?B?5Lit5paH?=\"").Parameters["name"]);
    }

    [Fact]
    public void Formatting_quotes_specials_and_encodes_non_ascii_in_short_sections_that_parse_back()
    {
        var type = new ContentType("text", "plain");
        type.Charset = "utf-8";
        type.Parameters["name"] = "a b;c";
        type.Parameters["filename"] = string.Concat(Enumerable.Repeat("中文", 20));

        string text = type.ToString();
        Assert.StartsWith("text/plain; charset=utf-8; name=\"a b;c\"; filename*0*=utf-8''%E4", text);
        Assert.Contains("filename*1*=", text);
        ContentType back = ContentType.Parse(text);
        Assert.Equal(type.Parameters["filename"], back.Parameters["filename"]);
        Assert.Equal("a b;c", back.Parameters["name"]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("text")]
    [InlineData("/plain")]
    [InlineData("text/")]
    public void Not_a_type_is_refused_without_an_exception(string text) => Assert.False(ContentType.TryParse(text, out _));

    [Fact]
    public void Broken_parameters_are_skipped_and_the_rest_kept()
    {
        ContentType type = ContentType.Parse("text/plain; ; =x; junk; charset=\"us-ascii\"; format=flowed");
        Assert.Equal("us-ascii", type.Charset);
        Assert.Equal("flowed", type.Parameters["format"]);
    }
}
