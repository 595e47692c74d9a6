using System.Text;
using FsCheck;
using FsCheck.Fluent;

namespace MtaCluster.Mime.Tests;

public class Rfc2047Tests
{
    [Theory]
    [InlineData("=?gb2312?B?1tDOxA==?=", "中文")]
    [InlineData("=?eucgb2312_cn?b?suLK1NPKvP4=?=", "测试邮件")]
    [InlineData("=?big5_tw?b?tPq41bZspfM=?=", "測試郵件")]
    [InlineData("=?GB2312?Q?=D6=D0=CE=C4?=", "中文")]
    [InlineData("=?big5?B?pKSk5Q==?=", "中文")]
    [InlineData("=?iso-2022-jp?B?GyRCRnxLXDhsGyhC?=", "日本語")]
    [InlineData("=?utf-8?B?5Lit5paH?=", "中文")]
    [InlineData("=?iso-8859-1?Q?caf=E9?=", "café")]
    [InlineData("=?windows-1252?Q?=80uro?=", "€uro")]
    [InlineData("=?utf-8*zh-CN?B?5Lit5paH?=", "中文")]
    [InlineData("=?utf-8?q?a_b?=", "a b")]
    [InlineData("=?UTF-8?Q?=E4=B8=AD?=", "中")]
    public void Decodes_known_octets_in_each_charset(string encoded, string text) => Assert.Equal(text, Rfc2047.DecodeText(encoded));

    [Theory]
    [InlineData("gb2312", "中文邮件测试")]
    [InlineData("gbk", "中文邮件测试，镕")]
    [InlineData("gb18030", "中文𠀀测试")]
    [InlineData("big5", "中文郵件測試")]
    [InlineData("iso-2022-jp", "日本語のメール")]
    [InlineData("utf-8", "中文 😀 Ελληνικά")]
    [InlineData("iso-8859-2", "Zażółć")]
    [InlineData("windows-1251", "Привет")]
    public void Charsets_round_trip_through_b_and_q_words(string charset, string text)
    {
        Encoding encoding = Charsets.GetEncoding(charset)!;
        byte[] bytes = encoding.GetBytes(text);
        Assert.Equal(text, encoding.GetString(bytes));
        string b = $"=?{charset}?B?{Convert.ToBase64String(bytes)}?=";
        string q = $"=?{charset}?Q?{string.Concat(bytes.Select(x => $"={x:X2}"))}?=";
        Assert.Equal("Re: " + text, Rfc2047.DecodeText("Re: " + b));
        Assert.Equal(text, Rfc2047.DecodeText(q));
    }

    [Fact]
    public void Whitespace_between_adjacent_encoded_words_is_dropped_but_kept_next_to_plain_text()
    {
        Assert.Equal("ab", Rfc2047.DecodeText("=?utf-8?Q?a?= \r\n =?utf-8?Q?b?="));
        Assert.Equal("a b", Rfc2047.DecodeText("=?utf-8?Q?a?= b"));
        Assert.Equal("x a y", Rfc2047.DecodeText("x =?utf-8?Q?a?= y"));
    }

    [Fact]
    public void A_multibyte_character_split_across_two_words_is_joined_before_decoding()
    {
        // "中" is E4 B8 AD in UTF-8; a careless encoder put its octets in two words.
        Assert.Equal("中", Rfc2047.DecodeText("=?utf-8?B?5Lg=?= =?utf-8?B?rQ==?="));
        // GB2312 "中文" = D6 D0 CE C4, split in the middle of "文".
        Assert.Equal("中文", Rfc2047.DecodeText("=?gb2312?Q?=D6=D0=CE?= =?gb2312?Q?=C4?="));
    }

    [Theory]
    [InlineData("=?nosuchcharset?B?5Lit?=")]
    [InlineData("=?utf-8?B?####?=")]
    [InlineData("=?utf-8?X?abc?=")]
    [InlineData("=?utf-8?Q?=ZZ?=")]
    [InlineData("=?utf-8?B?5Lit")]
    [InlineData("=?utf-8?")]
    [InlineData("=?")]
    [InlineData("=?utf-8?Q?has space?=")]
    [InlineData("plain =? text ?= here")]
    public void Malformed_words_are_left_as_they_are(string text) => Assert.Equal(text, Rfc2047.DecodeText(text));

    [Fact]
    public void A_malformed_word_next_to_a_good_one_keeps_its_text_and_spacing()
    {
        Assert.Equal("=?bogus?Q?x?= 中", Rfc2047.DecodeText("=?bogus?Q?x?= =?utf-8?B?5Lit?="));
    }

    [Fact]
    public void Missing_base64_padding_is_forgiven()
    {
        Assert.Equal("中文", Rfc2047.DecodeText("=?utf-8?B?5Lit5paH?="));
        Assert.Equal("中", Rfc2047.DecodeText("=?utf-8?B?5Lit?="));
        Assert.Equal("ab", Rfc2047.DecodeText("=?utf-8?B?YWI?="));
    }

    [Fact]
    public void Encoded_words_keep_to_75_characters_and_never_split_a_character()
    {
        string text = string.Concat(Enumerable.Repeat("中文😀é ", 40));
        foreach (char method in "BQ")
        {
            string encoded = Rfc2047.Encode(text, method);
            string[] words = encoded.Split(' ');
            Assert.All(words, w => Assert.InRange(w.Length, 1, Rfc2047.MaxWordLength));
            // Each word decodes alone to whole characters: no lone surrogate, no replacement character.
            Assert.All(words, w =>
            {
                string decoded = Rfc2047.DecodeText(w);
                Assert.DoesNotContain('\uFFFD', decoded);
                Assert.False(char.IsHighSurrogate(decoded[^1]));
            });
            Assert.Equal(text, Rfc2047.DecodeText(encoded));
        }
    }

    [Fact]
    public void Encode_then_decode_gives_back_any_text()
    {
        Prop.ForAll(UnicodeText().ToArbitrary(), Gen.Elements('B', 'Q').ToArbitrary(), (text, method) =>
        {
            string encoded = Rfc2047.Encode(text, method);
            return encoded.All(c => c is > ' ' and <= '~' || c == ' ')
                && encoded.Split(' ').All(w => w.Length <= Rfc2047.MaxWordLength)
                && Rfc2047.DecodeText(encoded) == text;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Decode_never_throws_on_arbitrary_text()
    {
        Gen<string> wordish = Gen.Elements("=?", "?=", "?B?", "?Q?", "utf-8", "gb2312", "5Lit", "=D6", "_", " ", "=", "?", "x")
            .ListOf().Select(parts => string.Concat(parts));
        Prop.ForAll(wordish.ToArbitrary(), text => Rfc2047.DecodeText(text) is not null).QuickCheckThrowOnFailure();
    }

    private static Gen<string> UnicodeText() =>
        Gen.OneOf(Gen.Choose(0x20, 0x7E), Gen.Choose(0x80, 0x7FF), Gen.Choose(0x800, 0xD7FF), Gen.Choose(0xE000, 0xFFFD), Gen.Choose(0x10000, 0x10FFFF))
            .ListOf()
            .Select(points => string.Concat(points.Select(p => char.ConvertFromUtf32(p))));
}
