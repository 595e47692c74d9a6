using System.Text;
using MtaCluster.Actors.Sharding;

namespace MtaCluster.Actors.Tests;

public sealed class ShardHashTests
{
    [Theory]
    [InlineData("", 0x811C9DC5u)]
    [InlineData("a", 0xE40C292Cu)]
    [InlineData("foobar", 0xBF9CF968u)]
    public void Fnv1a32_matches_the_published_test_vectors(string value, uint expected) =>
        Assert.Equal(expected, ShardHash.Fnv1a32(value));

    [Theory]
    [InlineData("example.com", 806)]
    [InlineData("gmail.com", 562)]
    [InlineData("xn--bcher-kva.example", 596)]
    [InlineData("bücher.example", 714)]
    [InlineData("", 453)]
    public void ShardOf_gives_fixed_values_in_every_process(string entityId, int expected) =>
        Assert.Equal(expected, ShardHash.ShardOf(entityId, 1024));

    [Fact]
    public void The_string_hash_is_the_hash_of_its_UTF8_bytes()
    {
        foreach (var value in new[] { "bücher.example", "日本.jp", "a\uD800b", "😀.example" })
        {
            Assert.Equal(ShardHash.Fnv1a32(Encoding.UTF8.GetBytes(value)), ShardHash.Fnv1a32(value));
        }
    }

    [Fact]
    public void HashCodeMessageExtractor_uses_ShardOf_for_the_shard_id()
    {
        var extractor = HashCodeMessageExtractor.Create(1024, m => (string)m);
        Assert.Equal("806", extractor.ShardId("example.com"));
        Assert.Same(extractor.ShardId("example.com"), extractor.ShardId("example.com"));
    }

    [Fact]
    public void ShardOf_rejects_a_non_positive_shard_count() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ShardHash.ShardOf("a", 0));
}
