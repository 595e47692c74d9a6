using MtaCluster.Actors.Sharding;
using MtaCluster.Delivery.Domains;
using MtaCluster.Delivery.Policies;

namespace MtaCluster.Delivery.Tests;

/// <summary>
/// Domains listed by name under an MX pattern: they take the group's policy and counters by name and
/// are placed by the group's key; everything else keeps its policy and its placement by its own name.
/// </summary>
public class DomainPlacementTests
{
    private const int Shards = 1024;

    private const string Yaml = """
        default:
          max-connections: 8
          route: 127.0.0.1:2525
        domains:
          example.com:
            max-connections: 3
          "*.example.org":
            max-connections: 4
        mx-patterns:
          - name: google
            match: ["*.google.com"]
            max-connections: 2
            domains: [Gmail.COM., googlemail.com, listed.example.org]
          - name: yahoo
            match: ["*.yahoodns.net"]
            max-connections: 5
            domains: [yahoo.com]
        """;

    private static readonly DomainPolicyConfiguration Configuration = DomainPolicyLoader.Parse(Yaml);
    private static readonly DomainPolicyResolver Resolver = new(Configuration);

    private static DomainPolicyConfigException Fails(string yaml) =>
        Assert.Throws<DomainPolicyConfigException>(() => DomainPolicyLoader.Parse(yaml));

    [Fact]
    public void A_listed_domain_takes_the_groups_policy_and_counters_by_name_even_under_a_static_route()
    {
        var match = Resolver.Resolve("googlemail.com");
        Assert.Equal(PolicyMatchKind.MxPattern, match.Kind);
        Assert.True(match.IsListed);
        Assert.Equal("mx:google", match.ThrottleKey);
        Assert.Equal(2, match.Policy.MaxConnections);
        // The route is inherited from default, so no MX lookup will ever happen: the name alone decides.
        Assert.NotNull(match.Policy.Route);
        Assert.Equal("mx:google", Resolver.Resolve("GMAIL.com").ThrottleKey);
        // With MX hosts known the name still decides, even when they point at another pattern.
        Assert.Equal("mx:google", Resolver.ResolveWithMx("gmail.com", ["mta5.am0.yahoodns.net"]).ThrottleKey);
    }

    [Fact]
    public void A_listed_name_ranks_with_exact_names_so_it_beats_a_wildcard()
    {
        var listed = Resolver.Resolve("listed.example.org");
        Assert.Equal("mx:google", listed.ThrottleKey);
        Assert.Equal(2, listed.Policy.MaxConnections);
        var sibling = Resolver.Resolve("other.example.org");
        Assert.Equal(PolicyMatchKind.Wildcard, sibling.Kind);
        Assert.Equal(4, sibling.Policy.MaxConnections);
        Assert.Equal(PolicyMatchKind.Exact, Resolver.Resolve("example.com").Kind);
    }

    [Fact]
    public void A_domain_reaching_a_group_by_its_mx_is_not_listed()
    {
        var match = Resolver.ResolveWithMx("hosted.test", ["alt1.aspmx.l.google.com"]);
        Assert.Equal("mx:google", match.ThrottleKey);
        Assert.False(match.IsListed);
    }

    [Fact]
    public void Listed_domains_are_placed_by_the_group_key_and_every_other_domain_by_its_name()
    {
        var placement = DomainPlacement.From(Configuration, Shards);
        var google = ShardHash.ShardOf("mx:google", Shards);
        Assert.Equal(google, placement.ShardOf("gmail.com"));
        Assert.Equal(google, placement.ShardOf("googlemail.com"));
        Assert.Equal(google, placement.ShardOf("Gmail.Com"));
        Assert.Equal(google, placement.ShardOf("listed.example.org"));
        Assert.Equal(ShardHash.ShardOf("mx:yahoo", Shards), placement.ShardOf("yahoo.com"));
        Assert.Equal(ShardHash.ShardOf("example.com", Shards), placement.ShardOf("example.com"));
        Assert.Equal(ShardHash.ShardOf("hosted.test", Shards), placement.ShardOf("hosted.test"));
        Assert.True(placement.IsListed("gmail.com"));
        Assert.False(placement.IsListed("hosted.test"));
        Assert.Equal(4, placement.Listed.Count);
    }

    [Fact]
    public void The_fingerprint_names_the_list_not_its_order_nor_its_spelling_nor_the_policy_settings()
    {
        var placement = DomainPlacement.From(Configuration, Shards);
        var reordered = DomainPlacement.From(DomainPolicyLoader.Parse(
            Yaml.Replace("[Gmail.COM., googlemail.com, listed.example.org]", "[listed.example.org, googlemail.com, gmail.com]", StringComparison.Ordinal)
                .Replace("max-connections: 2", "max-connections: 7", StringComparison.Ordinal)), Shards);
        Assert.Equal(placement.Fingerprint, reordered.Fingerprint);
        Assert.StartsWith("sha256:", placement.Fingerprint, StringComparison.Ordinal);

        var moved = DomainPlacement.From(DomainPolicyLoader.Parse(
            Yaml.Replace("domains: [yahoo.com]", "domains: [yahoo.com, googlemail.com]", StringComparison.Ordinal)
                .Replace("[Gmail.COM., googlemail.com, listed.example.org]", "[gmail.com, listed.example.org]", StringComparison.Ordinal)), Shards);
        Assert.NotEqual(placement.Fingerprint, moved.Fingerprint);
        Assert.Equal(ShardHash.ShardOf("mx:yahoo", Shards), moved.ShardOf("googlemail.com"));
    }

    [Fact]
    public void Without_lists_every_domain_is_placed_by_name_as_before()
    {
        var placement = DomainPlacement.From(DomainPolicyConfiguration.BuiltIn, Shards);
        Assert.Equal(DomainPlacement.ByNameFingerprint, placement.Fingerprint);
        Assert.Equal(DomainPlacement.ByNameFingerprint, DomainPlacement.ByName(Shards).Fingerprint);
        Assert.Equal(ShardHash.ShardOf("gmail.com", Shards), placement.ShardOf("gmail.com"));
    }

    [Fact]
    public void A_domain_listed_under_two_patterns_is_refused_naming_the_key()
    {
        var ex = Fails("""
            mx-patterns:
              - name: google
                match: ["*.google.com"]
                domains: [gmail.com]
              - name: other
                match: ["*.other.test"]
                domains: [other.test, GMAIL.com]
            """);
        Assert.Contains("mx-patterns[1].domains[1]", ex.Message);
        Assert.Contains("'gmail.com' is already listed under mx-pattern 'google'", ex.Message);
    }

    [Fact]
    public void A_listed_domain_with_an_exact_entry_too_is_refused()
    {
        var ex = Fails("""
            domains:
              gmail.com:
                max-connections: 1
            mx-patterns:
              - name: google
                match: ["*.google.com"]
                domains: [gmail.com]
            """);
        Assert.Contains("mx-patterns[0].domains[0]", ex.Message);
        Assert.Contains("also has an exact entry under domains", ex.Message);
    }

    [Theory]
    [InlineData("\"*.gmail.com\"")]
    [InlineData("not a domain")]
    [InlineData("\"\"")]
    [InlineData("-bad.example")]
    public void An_invalid_listed_domain_is_refused(string entry)
    {
        var ex = Fails($"""
            mx-patterns:
              - name: google
                match: ["*.google.com"]
                domains: [{entry}]
            """);
        Assert.Contains("mx-patterns[0].domains[0]", ex.Message);
        Assert.Contains("is not a domain name", ex.Message);
    }

    [Fact]
    public void A_domain_listed_twice_under_one_pattern_is_refused()
    {
        var ex = Fails("""
            mx-patterns:
              - name: google
                match: ["*.google.com"]
                domains: [gmail.com, Gmail.com]
            """);
        Assert.Contains("mx-patterns[0].domains[1]", ex.Message);
        Assert.Contains("listed twice", ex.Message);
    }
}
