using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using MtaCluster.Mime.Dkim;
using MtaCluster.Testing;

namespace MtaCluster.Mime.Tests.Dkim;

/// <summary>The body hash (RFC 6376 §3.4.3, §3.4.4, §3.7) over bodies in one piece and cut into pooled segments.</summary>
public sealed class DkimBodyHasherTests
{
    private static string Bh(string body, DkimCanonicalizationAlgorithm algorithm) =>
        Convert.ToBase64String(DkimBodyHasher.Hash(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(body)), algorithm));

    private static string Sha(string canonical) => Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));

    [Fact]
    public void An_empty_body_is_one_CRLF_in_simple_and_nothing_in_relaxed()
    {
        // The values every DKIM implementation agrees on (RFC 6376 §3.4.3, §3.4.4, errata 3192).
        Assert.Equal("frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=", Bh("", DkimCanonicalizationAlgorithm.Simple));
        Assert.Equal("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", Bh("", DkimCanonicalizationAlgorithm.Relaxed));
        Assert.Equal(Bh("", DkimCanonicalizationAlgorithm.Simple), Bh("\r\n\r\n\r\n", DkimCanonicalizationAlgorithm.Simple));
        Assert.Equal(Bh("", DkimCanonicalizationAlgorithm.Relaxed), Bh(" \r\n\t\r\n", DkimCanonicalizationAlgorithm.Relaxed));
    }

    [Fact]
    public void The_example_of_RFC_6376_section_3_4_5()
    {
        const string body = " C \r\nD \t E\r\n\r\n\r\n";
        Assert.Equal(Sha(" C\r\nD E\r\n"), Bh(body, DkimCanonicalizationAlgorithm.Relaxed));
        Assert.Equal(Sha(" C \r\nD \t E\r\n"), Bh(body, DkimCanonicalizationAlgorithm.Simple));
    }

    [Fact]
    public void The_RFC_8463_example_body()
    {
        Assert.Equal("2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=",
            Bh("Hi.\r\n\r\nWe lost the game.  Are you hungry yet?\r\n\r\nJoe.\r\n\r\n", DkimCanonicalizationAlgorithm.Relaxed));
    }

    [Theory]
    [InlineData("no final line break", "no final line break\r\n", "no final line break\r\n")]
    [InlineData("a\rb\nc \r\n", "a\rb\nc\r\n", "a\rb\nc \r\n")]
    [InlineData("x\r", "x\r\r\n", "x\r\r\n")]
    [InlineData("\r\n\r\nx\r\n\r\n", "\r\n\r\nx\r\n", "\r\n\r\nx\r\n")]
    [InlineData("tab\tand  spaces \t\r\n", "tab and spaces\r\n", "tab\tand  spaces \t\r\n")]
    public void Bare_CR_and_LF_are_ordinary_octets_and_a_missing_final_CRLF_is_added(string body, string relaxed, string simple)
    {
        Assert.Equal(Sha(relaxed), Bh(body, DkimCanonicalizationAlgorithm.Relaxed));
        Assert.Equal(Sha(simple), Bh(body, DkimCanonicalizationAlgorithm.Simple));
    }

    [Fact]
    public void Where_the_segments_are_cut_does_not_change_the_hash()
    {
        var body = Encoding.UTF8.GetBytes("Line one  \t with space\r\n \r\n\tindented\r\nbare\rcr and\nlf\r\n\r\n \r\n\r\n");
        foreach (var algorithm in new[] { DkimCanonicalizationAlgorithm.Simple, DkimCanonicalizationAlgorithm.Relaxed })
        {
            var whole = DkimBodyHasher.Hash(new ReadOnlySequence<byte>(body), algorithm);
            for (var size = 1; size <= body.Length; size++)
            {
                Assert.Equal(whole, DkimBodyHasher.Hash(SegmentedSequence.Chunked(body, size), algorithm));
            }
        }
    }

    [Fact]
    public void A_body_longer_than_the_stack_buffer_hashes_as_in_one_piece()
    {
        var text = new StringBuilder();
        for (var i = 0; i < 3000; i++) text.Append("line ").Append(i).Append("   with  runs\t of  space \r\n");
        var body = Encoding.ASCII.GetBytes(text.ToString());
        var relaxed = text.ToString().Replace("   ", " ").Replace("  ", " ").Replace("\t ", " ").Replace(" \r\n", "\r\n");

        Assert.Equal(Sha(relaxed), Convert.ToBase64String(DkimBodyHasher.Hash(SegmentedSequence.Chunked(body, 4093), DkimCanonicalizationAlgorithm.Relaxed)));
    }
}
