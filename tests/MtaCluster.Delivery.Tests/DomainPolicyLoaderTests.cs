using MtaCluster.Delivery.Policies;

namespace MtaCluster.Delivery.Tests;

public class DomainPolicyLoaderTests
{
    private static DomainPolicyConfigException Fails(string yaml) =>
        Assert.Throws<DomainPolicyConfigException>(() => DomainPolicyLoader.Parse(yaml));

    [Fact]
    public void Unknown_key_is_named_with_its_path_and_line()
    {
        var ex = Fails("""
            default:
              max-connections: 5
            domains:
              example.com:
                max-conections: 3
            """);
        Assert.Contains("unknown setting 'max-conections'", ex.Message);
        Assert.Contains("domains.\"example.com\".max-conections", ex.Message);
        Assert.Contains("line 5", ex.Message);
        Assert.Contains("domains.yaml", ex.Message);
    }

    [Fact]
    public void Wrong_type_is_named_with_its_path()
    {
        var ex = Fails("""
            default:
              max-connections: ten
            """);
        Assert.Contains("default.max-connections", ex.Message);
        Assert.Contains("ten", ex.Message);
    }

    [Fact]
    public void Bad_duration_is_named_with_its_path()
    {
        var ex = Fails("""
            default:
              retry:
                intervals:
                  - 5m
                  - 10 minutes
            """);
        Assert.Contains("default.retry.intervals", ex.Message);
        Assert.Contains("'10 minutes' is not a duration", ex.Message);
    }

    [Fact]
    public void Yaml_syntax_errors_report_the_line()
    {
        var ex = Fails("default:\n  max-connections: [1\n");
        Assert.Contains("line", ex.Message);
    }

    [Fact]
    public void Every_semantic_error_is_reported_at_once()
    {
        var ex = Fails("""
            default:
              max-connections: 0
              tls: sometimes
              egress-pool: nowhere
              route: "host:99999"
              retry:
                jitter: 1.5
                max-age: 0s
              backoff:
                patterns: ["(unclosed"]
                recovery-factor: 1
            pools:
              bad: [not-an-ip]
            domains:
              "bad domain": {}
              "*.ok.example":
                max-messages-per-minute: -1
            mx-patterns:
              - match: ["*.google.com"]
              - name: empty
            bounce-rules:
              - pattern: "x"
                category: spammy
            """);
        var expected = new[]
        {
            "default.max-connections: must be at least 1",
            "default.tls: 'sometimes' is not one of none, opportunistic, required",
            "default.egress-pool: names pool 'nowhere'",
            "default.route: port '99999'",
            "default.retry.jitter:",
            "default.retry.max-age:",
            "default.backoff.patterns[0]:",
            "default.backoff.recovery-factor:",
            "pools[\"bad\"][0]: 'not-an-ip' is not an IP address",
            "domains[\"bad domain\"]: is not a domain",
            "domains[\"*.ok.example\"].max-messages-per-minute: must be 0 (unlimited) or more",
            "mx-patterns[0].name: is required",
            "mx-patterns[1].match: must list at least one",
            "bounce-rules[0].category: 'spammy' is not one of",
        };
        foreach (var fragment in expected)
        {
            Assert.Contains(ex.Errors, e => e.Contains(fragment, StringComparison.Ordinal));
        }

        Assert.Equal(expected.Length, ex.Errors.Count);
    }

    [Fact]
    public void Duplicate_domains_after_normalisation_are_refused()
    {
        var ex = Fails("""
            domains:
              example.com: {}
              Example.COM: {}
            """);
        Assert.Contains(ex.Errors, e => e.Contains("listed twice"));
    }

    [Fact]
    public void Duplicate_yaml_keys_are_refused()
    {
        var ex = Fails("""
            default:
              tls: none
              tls: required
            """);
        Assert.Contains("default", ex.Message);
    }

    [Fact]
    public void Missing_file_fails_loudly()
    {
        var ex = Assert.Throws<DomainPolicyConfigException>(() => DomainPolicyLoader.Load(Path.Combine(Path.GetTempPath(), Guid.NewGuid() + ".yaml")));
        Assert.Contains("cannot be read", ex.Message);
    }

    [Fact]
    public void Pools_accept_the_mapping_form_with_hash_selection()
    {
        var config = DomainPolicyLoader.Parse("""
            pools:
              sticky:
                addresses: [192.0.2.1, 192.0.2.2, "2001:db8::1"]
                selection: hash
            default:
              egress-pool: sticky
            """);
        var pool = config.Default.EgressPool;
        Assert.Equal(EgressPoolSelection.Hash, pool.Selection);
        Assert.Equal(3, pool.Addresses.Count);
        Assert.Equal(pool.Select("gmail.com"), pool.Select("GMAIL.com"));
        Assert.Contains(config.Pools, p => p.Key == "default");
    }

    [Fact]
    public void Pool_mapping_rejects_unknown_keys()
    {
        var ex = Fails("""
            pools:
              p:
                adresses: [192.0.2.1]
            """);
        Assert.Contains("unknown setting 'adresses'", ex.Message);
    }

    [Fact]
    public void Empty_rule_and_pattern_lists_are_honoured()
    {
        var config = DomainPolicyLoader.Parse("""
            default:
              backoff:
                patterns: []
            bounce-rules: []
            """);
        Assert.Empty(config.BounceRules);
        Assert.Empty(config.Default.Backoff.Patterns);
    }

    [Fact]
    public void Direct_cancels_an_inherited_route()
    {
        var config = DomainPolicyLoader.Parse("""
            default:
              route: "[2001:db8::25]:2525"
            domains:
              direct.example:
                route: direct
            """);
        Assert.Equal(new StaticRoute("2001:db8::25", 2525), config.Default.Route);
        Assert.Null(config.Exact["direct.example"].Route);
    }
}
