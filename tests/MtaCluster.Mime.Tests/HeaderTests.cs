using System.Buffers;
using System.Text;

namespace MtaCluster.Mime.Tests;

public class HeaderTests
{
    [Fact]
    public void A_new_field_folds_at_whitespace_to_78_and_parses_back_to_its_value()
    {
        string value = string.Join(' ', Enumerable.Range(0, 40).Select(i => $"word{i}"));
        var header = new Header("X-Long", value);

        string raw = Encoding.ASCII.GetString(header.RawField);
        string[] lines = raw.Split("\r\n");
        Assert.True(lines.Length > 3);
        Assert.All(lines, l => Assert.True(l.Length <= 78, l));
        Assert.All(lines.Skip(1).Where(l => l.Length > 0), l => Assert.StartsWith(" ", l));
        Assert.Equal(value, HeaderList.Parse(new ReadOnlySequence<byte>(header.RawField)).Single().Value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Bad:Name")]
    [InlineData("Bad Name")]
    public void A_field_name_must_be_printable_ascii_without_a_colon(string name) =>
        Assert.ThrowsAny<ArgumentException>(() => new Header(name, "v"));

    [Fact]
    public void The_value_is_decoded_only_when_asked_and_the_raw_value_keeps_encoded_words()
    {
        HeaderList headers = HeaderList.Parse(new ReadOnlySequence<byte>("Subject: =?utf-8?B?5Lit5paH?=\r\n\r\n"u8.ToArray()));
        Assert.Equal(" =?utf-8?B?5Lit5paH?=\r\n", Encoding.ASCII.GetString(headers[0].RawValue));
        Assert.Equal("=?utf-8?B?5Lit5paH?=", headers[0].UnfoldedValue);
        Assert.Equal("中文", headers[0].Value);
    }
}
