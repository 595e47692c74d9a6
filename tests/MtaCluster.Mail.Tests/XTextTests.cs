using System.Text;
using FsCheck;
using FsCheck.Fluent;

namespace MtaCluster.Mail.Tests;

public class XTextTests
{
    [Theory]
    [InlineData("alice@example.test", "alice@example.test")]
    [InlineData("a+b@example.test", "a+2Bb@example.test")]
    [InlineData("a=b", "a+3Db")]
    [InlineData("two words", "two+20words")]
    [InlineData("tab\there", "tab+09here")]
    [InlineData("del\u007f", "del+7F")]
    [InlineData("jörg@exämple.test", "j+C3+B6rg@ex+C3+A4mple.test")]
    [InlineData("€", "+E2+82+AC")]
    [InlineData("😀", "+F0+9F+98+80")]
    [InlineData("", "")]
    public void Encodes_every_octet_outside_the_printables_and_plus_and_equals_as_utf8_hex(string text, string xtext)
    {
        Assert.Equal(xtext, XText.Encode(text));
        Assert.Equal(text, XText.Decode(Encoding.ASCII.GetBytes(xtext)));
    }

    [Fact]
    public void A_non_ascii_orcpt_is_decoded_as_utf8_not_one_latin1_character_per_octet()
    {
        // The server's old copy turned "+C3+A9" into "Ã©": every relay hop changed the address.
        string decoded = XText.Decode("rfc822;ren+C3+A9@example.test");
        Assert.Equal("rfc822;rené@example.test", decoded);
        Assert.Equal("rfc822;ren+C3+A9@example.test", XText.Encode(decoded));
    }

    [Fact]
    public void Hex_that_did_not_need_encoding_still_decodes()
    {
        Assert.Equal("A", XText.Decode("+41"));
    }

    [Theory]
    [InlineData("a+2b", XTextError.InvalidHexDigit, 1)]
    [InlineData("a+G0", XTextError.InvalidHexDigit, 1)]
    [InlineData("abc+2", XTextError.TruncatedHexChar, 3)]
    [InlineData("abc+", XTextError.TruncatedHexChar, 3)]
    [InlineData("a=b", XTextError.InvalidCharacter, 1)]
    [InlineData("a b", XTextError.InvalidCharacter, 1)]
    [InlineData("ab\u007f", XTextError.InvalidCharacter, 2)]
    [InlineData("ab\u0000", XTextError.InvalidCharacter, 2)]
    [InlineData("+C3", XTextError.InvalidUtf8, 0)]
    [InlineData("+FF+FE", XTextError.InvalidUtf8, 0)]
    [InlineData("+ED+A0+80", XTextError.InvalidUtf8, 0)]
    public void Malformed_xtext_is_refused_with_a_typed_error(string input, XTextError error, int position)
    {
        byte[] bytes = Encoding.Latin1.GetBytes(input);
        Assert.False(XText.TryDecode(bytes, out string? decoded, out XTextError actual, out int at));
        Assert.Null(decoded);
        Assert.Equal(error, actual);
        Assert.Equal(position, at);

        var thrown = Assert.Throws<XTextFormatException>(() => XText.Decode(bytes));
        Assert.Equal(error, thrown.Error);
        Assert.IsAssignableFrom<FormatException>(thrown);
    }

    [Fact]
    public void Raw_non_ascii_octets_are_not_xtext()
    {
        Assert.False(XText.TryDecode("jörg"u8, out _, out XTextError error, out int at));
        Assert.Equal(XTextError.InvalidCharacter, error);
        Assert.Equal(1, at);
    }

    [Fact]
    public void Any_text_round_trips_and_encodes_to_xchars_only()
    {
        Prop.ForAll(UnicodeText().ToArbitrary(), text =>
        {
            string encoded = XText.Encode(text);
            bool onlyXChars = encoded.All(c => c is >= '!' and <= '~' && c != '=');
            bool plusOnlyAsHex = encoded.Split('+').Skip(1).All(part => part.Length >= 2 && Uri.IsHexDigit(part[0]) && Uri.IsHexDigit(part[1]));
            return onlyXChars && plusOnlyAsHex && XText.Decode(encoded) == text;
        }).QuickCheckThrowOnFailure();
    }

    [Theory]
    [InlineData("jörg@exämple.test", @"j\x{F6}rg@ex\x{E4}mple.test")]
    [InlineData("用户@例子.广告", @"\x{7528}\x{6237}@\x{4F8B}\x{5B50}.\x{5E7F}\x{544A}")]
    [InlineData("a+b=c\\d e", @"a\x{2B}b\x{3D}c\x{5C}d\x{20}e")]
    [InlineData("😀@x.test", @"\x{1F600}@x.test")]
    public void Utf8_addr_xtext_escapes_unicode_scalars_as_rfc_6533_says(string address, string encoded)
    {
        Assert.Equal(encoded, XText.EncodeUtf8Address(address));
        Assert.Equal(address, XText.DecodeUtf8Address(encoded));

        // It is itself valid xtext, so a receiver decoding xtext first sees it unchanged.
        Assert.Equal(encoded, XText.Decode(encoded));
    }

    [Theory]
    [InlineData(@"a\x{}", XTextError.InvalidEscape)]
    [InlineData(@"a\x{F6", XTextError.InvalidEscape)]
    [InlineData(@"a\y{F6}", XTextError.InvalidEscape)]
    [InlineData(@"a\x{f6}", XTextError.InvalidEscape)]
    [InlineData(@"a\x{D800}", XTextError.InvalidEscape)]
    [InlineData(@"a\x{110000}", XTextError.InvalidEscape)]
    [InlineData(@"a\x{1234567}", XTextError.InvalidEscape)]
    [InlineData("a b", XTextError.InvalidCharacter)]
    [InlineData("a+b", XTextError.InvalidCharacter)]
    public void Malformed_utf8_addr_xtext_is_refused(string input, XTextError error)
    {
        var thrown = Assert.Throws<XTextFormatException>(() => XText.DecodeUtf8Address(input));
        Assert.Equal(error, thrown.Error);
        Assert.Equal(1, thrown.Position);
    }

    [Fact]
    public void Any_address_round_trips_through_utf8_addr_xtext()
    {
        Prop.ForAll(UnicodeText().ToArbitrary(), text =>
        {
            string encoded = XText.EncodeUtf8Address(text);
            return encoded.All(c => c is >= '!' and <= '~' && c is not ('+' or '=')) && XText.DecodeUtf8Address(encoded) == text;
        }).QuickCheckThrowOnFailure();
    }

    /// <summary>Well-formed UTF-16 over the whole scalar range: ASCII (controls included), Latin, CJK, astral.</summary>
    private static Gen<string> UnicodeText() =>
        Gen.OneOf(Gen.Choose(0, 0x7F), Gen.Choose(0x80, 0x7FF), Gen.Choose(0x800, 0xD7FF), Gen.Choose(0xE000, 0xFFFF), Gen.Choose(0x10000, 0x10FFFF))
            .ListOf()
            .Select(points => string.Concat(points.Select(p => char.ConvertFromUtf32(p))));
}
