using System.Net;
using MtaCluster.Delivery.Policies;
using MtaCluster.Delivery.Throttling;
using MtaCluster.Mail;
using MtaCluster.Testing;

namespace MtaCluster.Delivery.Tests;

public class DomainPolicyResolverTests
{
    private const string Yaml = """
        default:
          max-connections: 8
          max-messages-per-hour: 1000
          retry:
            jitter: 0.2
          backoff:
            retry-interval: 15m
        pools:
          default: [127.0.0.1]
          pool-a: [127.0.0.2, 127.0.0.3]
        domains:
          example.com:
            max-connections: 2
            retry:
              intervals: [1m, 2m]
          Exact.Example.ORG.:
            tls: required
          "*.example.com":
            max-messages-per-minute: 60
            egress-pool: pool-a
          "*.eu.example.com":
            max-connections: 3
          unlimited.example.net:
            max-messages-per-hour: 0
          routed.example.net:
            route: smarthost.example.net:587
        mx-patterns:
          - name: google
            match: ["*.google.com", "*.googlemail.com"]
            max-connections: 20
          - name: microsoft
            match: ["*.outlook.com"]
            max-connections: 5
        """;

    private static readonly DomainPolicyResolver Resolver = new(DomainPolicyLoader.Parse(Yaml));

    [Fact]
    public void Unlisted_domains_get_default_with_built_in_values_for_what_default_leaves_out()
    {
        var match = Resolver.Resolve("unlisted.test");
        Assert.Equal(PolicyMatchKind.Default, match.Kind);
        Assert.Equal("unlisted.test", match.ThrottleKey);
        var policy = match.Policy;
        Assert.Equal("default", policy.Key);
        Assert.Equal(8, policy.MaxConnections);
        Assert.Equal(100, policy.MaxMessagesPerConnection);
        Assert.Equal(100, policy.MaxRecipientsPerTransaction);
        Assert.Null(policy.MaxMessagesPerMinute);
        Assert.Equal(1000, policy.MaxMessagesPerHour);
        Assert.Equal(TlsPolicy.Opportunistic, policy.Tls);
        Assert.Equal("default", policy.EgressPool.Name);
        Assert.Null(policy.Route);
        Assert.Equal(5, policy.Retry.Intervals.Count);
        Assert.Equal(0.2, policy.Retry.Jitter);
        Assert.Equal(TimeSpan.FromDays(5), policy.Retry.MaxAge);
        Assert.Equal(TimeSpan.FromMinutes(15), policy.Backoff.RetryInterval);
        Assert.Equal(1, policy.Backoff.MaxConnections);
    }

    [Fact]
    public void Exact_entries_override_only_what_they_set()
    {
        var match = Resolver.Resolve("EXAMPLE.com.");
        Assert.Equal(PolicyMatchKind.Exact, match.Kind);
        Assert.Equal("example.com", match.Domain);
        var policy = match.Policy;
        Assert.Equal("example.com", policy.Key);
        Assert.Equal(2, policy.MaxConnections);
        Assert.Equal(1000, policy.MaxMessagesPerHour);
        Assert.Equal([TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(2)], policy.Retry.Intervals);
        Assert.Equal(0.2, policy.Retry.Jitter);
        Assert.Equal(TimeSpan.FromHours(2), policy.Retry.ThenEvery);
    }

    [Fact]
    public void Domain_keys_are_normalised()
    {
        Assert.Equal(TlsPolicy.Required, Resolver.Resolve("exact.example.org").Policy.Tls);
    }

    [Fact]
    public void Wildcards_match_subdomains_but_not_the_apex_and_the_longest_suffix_wins()
    {
        var sub = Resolver.Resolve("mail.example.com");
        Assert.Equal(PolicyMatchKind.Wildcard, sub.Kind);
        Assert.Equal("*.example.com", sub.Policy.Key);
        Assert.Equal(60, sub.Policy.MaxMessagesPerMinute);
        Assert.Equal("pool-a", sub.Policy.EgressPool.Name);
        Assert.Equal(8, sub.Policy.MaxConnections);

        Assert.Equal("*.example.com", Resolver.Resolve("a.b.example.com").Policy.Key);
        Assert.Equal("*.eu.example.com", Resolver.Resolve("x.eu.example.com").Policy.Key);
        Assert.Equal(3, Resolver.Resolve("x.eu.example.com").Policy.MaxConnections);
        Assert.Equal("*.example.com", Resolver.Resolve("eu.example.com").Policy.Key);
        Assert.Equal(PolicyMatchKind.Exact, Resolver.Resolve("example.com").Kind);
        Assert.Equal(PolicyMatchKind.Default, Resolver.Resolve("notexample.com").Kind);
    }

    [Fact]
    public void Wildcards_share_settings_but_not_counters()
    {
        Assert.Equal("a.example.com", Resolver.Resolve("a.example.com").ThrottleKey);
        Assert.Equal("b.example.com", Resolver.Resolve("b.example.com").ThrottleKey);
    }

    [Fact]
    public void Domains_on_the_same_mx_pattern_share_one_policy_and_one_throttle_key()
    {
        var gmail = Resolver.ResolveWithMx("gmail.com", ["gmail-smtp-in.l.google.com", "alt1.gmail-smtp-in.l.google.com"]);
        var googlemail = Resolver.ResolveWithMx("googlemail.com", ["GMAIL-SMTP-IN.L.GOOGLE.COM."]);
        var workspace = Resolver.ResolveWithMx("customer.test", ["aspmx.l.google.com"]);

        Assert.Equal(PolicyMatchKind.MxPattern, gmail.Kind);
        Assert.Equal("mx:google", gmail.ThrottleKey);
        Assert.Equal(gmail.ThrottleKey, googlemail.ThrottleKey);
        Assert.Equal(gmail.ThrottleKey, workspace.ThrottleKey);
        Assert.Same(gmail.Policy, googlemail.Policy);
        Assert.Equal(20, gmail.Policy.MaxConnections);
        Assert.Equal(1000, gmail.Policy.MaxMessagesPerHour);
        Assert.Equal("gmail.com", gmail.Domain);
    }

    [Fact]
    public void The_most_preferred_mx_decides()
    {
        var match = Resolver.ResolveWithMx("mixed.test", ["mixed-test.mail.protection.outlook.com", "aspmx.l.google.com"]);
        Assert.Equal("mx:microsoft", match.ThrottleKey);
        Assert.Equal(5, match.Policy.MaxConnections);
    }

    [Fact]
    public void Exact_and_wildcard_beat_mx_patterns_and_default_is_last()
    {
        Assert.Equal(PolicyMatchKind.Exact, Resolver.ResolveWithMx("example.com", ["aspmx.l.google.com"]).Kind);
        Assert.Equal(PolicyMatchKind.Wildcard, Resolver.ResolveWithMx("x.example.com", ["aspmx.l.google.com"]).Kind);
        var other = Resolver.ResolveWithMx("other.test", ["mx.other.test", "google.com"]);
        Assert.Equal(PolicyMatchKind.Default, other.Kind);
        Assert.Equal("other.test", other.ThrottleKey);
        Assert.Equal(PolicyMatchKind.Default, Resolver.ResolveWithMx("none.test", []).Kind);
    }

    [Fact]
    public void Zero_lifts_an_inherited_rate_and_routes_parse()
    {
        Assert.Null(Resolver.Resolve("unlimited.example.net").Policy.MaxMessagesPerHour);
        Assert.Equal(new StaticRoute("smarthost.example.net", 587), Resolver.Resolve("routed.example.net").Policy.Route);
    }

    [Fact]
    public void Throttle_limits_come_from_the_policy()
    {
        var limits = Resolver.Resolve("mail.example.com").Policy.ThrottleLimits;
        Assert.Equal(new ThrottleLimits(8, 60, 1000, null, TimeSpan.FromSeconds(10)), limits);
    }

    [Fact]
    public void Pools_are_shared_objects_with_their_addresses()
    {
        var pool = Resolver.Configuration.Pools["pool-a"];
        Assert.Same(pool, Resolver.Resolve("a.example.com").Policy.EgressPool);
        Assert.Equal([IPAddress.Parse("127.0.0.2"), IPAddress.Parse("127.0.0.3")], pool.Addresses);
        Assert.Equal(EgressPoolSelection.RoundRobin, pool.Selection);
    }

    [Fact]
    public void An_empty_file_gives_the_built_in_bulk_defaults()
    {
        var resolver = new DomainPolicyResolver(DomainPolicyLoader.Parse(""));
        var policy = resolver.Resolve("any.test").Policy;
        Assert.Equal(10, policy.MaxConnections);
        Assert.Equal(100, policy.MaxMessagesPerConnection);
        Assert.Equal(100, policy.MaxRecipientsPerTransaction);
        Assert.Null(policy.MaxMessagesPerMinute);
        Assert.Null(policy.MaxMessagesPerHour);
        Assert.Equal(TlsPolicy.Opportunistic, policy.Tls);
        Assert.Empty(policy.EgressPool.Addresses);
        Assert.Null(policy.EgressPool.Select("any.test"));
        Assert.NotEmpty(resolver.Configuration.BounceRules);
    }

    [Fact]
    public void The_shipped_file_gives_a_fresh_node_only_the_defaults_and_the_provider_rollups()
    {
        var resolver = DomainPolicyResolver.Load(ExampleFile());
        Assert.Equal(10, resolver.Default.MaxConnections);
        Assert.Equal("mx:google", resolver.ResolveWithMx("gmail.com", ["gmail-smtp-in.l.google.com"]).ThrottleKey);
        Assert.Equal("mx:google", resolver.ResolveWithMx("googlemail.com", ["gmail-smtp-in.l.google.com"]).ThrottleKey);
        Assert.Equal(5, resolver.Configuration.BounceRules.Count);
        Assert.Equal(6, resolver.Default.Backoff.Patterns.Count);
        // The example domains and pool are comments: nothing of them applies.
        foreach (var domain in new[] { "example.com", "a.example.org", "relay-only.example.net" })
        {
            Assert.Equal(PolicyMatchKind.Default, resolver.Resolve(domain).Kind);
        }
        Assert.DoesNotContain("pool-a", resolver.Configuration.Pools.Keys);
    }

    [Fact]
    public void The_shipped_examples_work_once_uncommented()
    {
        // What an operator does: uncomment every example (the file's convention, shared with node.yaml's test).
        var lines = File.ReadAllLines(ExampleFile());
        Assert.Equal(6, CommentedExamples.Find(lines).Count);
        var yaml = CommentedExamples.UncommentAll(lines);

        var resolver = new DomainPolicyResolver(DomainPolicyLoader.Parse(yaml, "uncommented domains.yaml"));
        Assert.Equal(PolicyMatchKind.Exact, resolver.Resolve("example.com").Kind);
        Assert.Equal(2, resolver.Resolve("example.com").Policy.MaxConnections);
        Assert.Equal(TlsPolicy.Required, resolver.Resolve("a.example.org").Policy.Tls);
        Assert.Same(resolver.Configuration.Pools["pool-a"], resolver.Resolve("a.example.org").Policy.EgressPool);
        Assert.Equal(new StaticRoute("192.0.2.25", 2525), resolver.Resolve("relay-only.example.net").Policy.Route);
        Assert.Equal([IPAddress.Parse("198.51.100.7")], resolver.Configuration.Pools["default"].Addresses);
        Assert.Equal(new StaticRoute("smtp-relay.example.net", 587), resolver.Resolve("example.com").Policy.Route);
        Assert.Equal(new TenantRateLimits(20, null), resolver.Resolve("example.com").Policy.LimitsFor("acme"));
        Assert.Equal(new TenantRateLimits(100, null), resolver.Default.LimitsFor("acme"));
        Assert.Equal("mx:google", resolver.Resolve("googlemail.com").ThrottleKey);
        Assert.True(resolver.Resolve("gmail.com").IsListed);
    }

    private static string ExampleFile()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "cluster-config", "domains.yaml");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("cluster-config/domains.yaml not found above the test directory");
    }
}
