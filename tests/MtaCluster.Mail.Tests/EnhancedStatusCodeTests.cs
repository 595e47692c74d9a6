using FsCheck;
using FsCheck.Fluent;

namespace MtaCluster.Mail.Tests;

public class EnhancedStatusCodeTests
{
    [Theory]
    [InlineData("2.0.0", 2, 0, 0)]
    [InlineData("4.4.7", 4, 4, 7)]
    [InlineData("5.7.26", 5, 7, 26)]
    [InlineData("5.999.999", 5, 999, 999)]
    [InlineData(" 5.1.1 ", 5, 1, 1)]
    public void Parses_class_subject_and_detail(string text, int @class, int subject, int detail)
    {
        EnhancedStatusCode code = EnhancedStatusCode.Parse(text);
        Assert.Equal((@class, subject, detail), (code.Class, code.Subject, code.Detail));
        Assert.Equal(text.Trim(), code.ToString());
        Assert.True(EnhancedStatusCode.TryParse(System.Text.Encoding.ASCII.GetBytes(text.Trim()), out EnhancedStatusCode fromBytes));
        Assert.Equal(code, fromBytes);
    }

    [Theory]
    [InlineData("")]
    [InlineData("5.1")]
    [InlineData("5.1.")]
    [InlineData(".1.1")]
    [InlineData("3.1.1")]
    [InlineData("1.0.0")]
    [InlineData("5.1000.1")]
    [InlineData("5.1.1000")]
    [InlineData("5.1.1.1")]
    [InlineData("5.a.1")]
    [InlineData("5.1.1x")]
    [InlineData("5..1")]
    [InlineData("５.1.1")]
    public void Refuses_what_rfc_3463_does_not_allow(string text)
    {
        Assert.False(EnhancedStatusCode.TryParse(text, out _));
        Assert.Throws<FormatException>(() => EnhancedStatusCode.Parse(text));
    }

    [Theory]
    [InlineData(3, 1, 1)]
    [InlineData(0, 0, 0)]
    [InlineData(5, -1, 1)]
    [InlineData(5, 1, 1000)]
    public void Cannot_be_constructed_out_of_range(int @class, int subject, int detail)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new EnhancedStatusCode(@class, subject, detail));
    }

    [Fact]
    public void The_class_says_success_transient_or_permanent_and_can_be_changed()
    {
        var transient = new EnhancedStatusCode(4, 3, 0);
        Assert.True(transient.IsTransient);
        Assert.False(transient.IsPermanent || transient.IsSuccess);
        EnhancedStatusCode permanent = transient.WithClass(5);
        Assert.True(permanent.IsPermanent);
        Assert.Equal("5.3.0", permanent.ToString());
        Assert.True(new EnhancedStatusCode(2, 0, 0).IsSuccess);
    }

    [Fact]
    public void Every_valid_code_formats_and_parses_back_to_itself()
    {
        Prop.ForAll(
            Gen.Elements(2, 4, 5).ToArbitrary(),
            Gen.Choose(0, 999).ToArbitrary(),
            Gen.Choose(0, 999).ToArbitrary(),
            (c, s, d) =>
            {
                var code = new EnhancedStatusCode(c, s, d);
                return EnhancedStatusCode.Parse(code.ToString()) == code;
            }).QuickCheckThrowOnFailure();
    }

    [Theory]
    [InlineData("Requested action not taken: 5.1.1 user unknown", "5.1.1")]
    [InlineData("mailbox full (4.2.2)", "4.2.2")]
    [InlineData("blocked from 192.0.2.1 see 5.7.1", "5.7.1")]
    public void Finds_a_code_inside_reply_text(string text, string expected)
    {
        Assert.True(EnhancedStatusCode.TryExtract(text, out EnhancedStatusCode? code));
        Assert.Equal(expected, code.Value.ToString());
    }

    [Theory]
    [InlineData("connect from 5.1.1.1 refused")]
    [InlineData("version 2.4.1b")]
    [InlineData("")]
    public void Does_not_take_dotted_quads_or_versions_for_a_code(string text)
    {
        Assert.False(EnhancedStatusCode.TryExtract(text, out _));
    }
}
