using MtaCluster.Delivery.Policies;

namespace MtaCluster.Delivery.Tests;

public class DomainPolicyChangesTests
{
    private static DomainPolicyConfiguration Parse(string yaml) => DomainPolicyLoader.Parse(yaml);

    [Fact]
    public void Identical_files_have_no_changes()
    {
        const string yaml = "default:\n  max-connections: 5\ndomains:\n  example.com:\n    route: 127.0.0.1:2525\n";
        var changes = DomainPolicyChanges.Between(Parse(yaml), Parse(yaml));
        Assert.True(changes.IsEmpty);
        Assert.Equal("no changes", changes.Summary());
    }

    [Fact]
    public void A_changed_limit_an_added_and_a_removed_domain_are_each_named_with_old_and_new_values()
    {
        var before = Parse("domains:\n  example.com:\n    max-connections: 5\n  old.example:\n    tls: none\n");
        var after = Parse("domains:\n  example.com:\n    max-connections: 2\n  new.example:\n    tls: none\n");

        var changes = DomainPolicyChanges.Between(before, after);

        Assert.Equal("1 changed (example.com: max-connections 5 -> 2), 1 added (new.example), 1 removed (old.example)", changes.Summary());
    }

    [Fact]
    public void A_changed_default_counts_for_every_entry_that_inherits_it_but_not_for_one_that_overrides_it()
    {
        var before = Parse("default:\n  max-messages-per-minute: 100\ndomains:\n  a.example: { tls: none }\n  b.example: { max-messages-per-minute: 7 }\n");
        var after = Parse("default:\n  max-messages-per-minute: 50\ndomains:\n  a.example: { tls: none }\n  b.example: { max-messages-per-minute: 7 }\n");

        var changes = DomainPolicyChanges.Between(before, after);

        Assert.Equal(["default", "a.example"], changes.Changed.Select(c => c.Key).Order(StringComparer.Ordinal).Reverse());
        Assert.All(changes.Changed, c => Assert.Equal(["max-messages-per-minute 100 -> 50"], c.Settings));
    }

    [Fact]
    public void Routes_pools_mx_patterns_and_bounce_rules_are_compared_by_value()
    {
        var before = Parse("""
            default: { route: 127.0.0.1:2525 }
            pools:
              out: [192.0.2.1]
            mx-patterns:
              - name: big
                match: ["*.mx.example"]
            bounce-rules:
              - { pattern: "greylisted", category: spam-related }
            """);
        var after = Parse("""
            default: { route: "[::1]:2526" }
            pools:
              out: [192.0.2.1, 192.0.2.2]
            mx-patterns:
              - name: big
                match: ["*.mx.example", "*.mx2.example"]
            bounce-rules:
              - { pattern: "greylisted", category: quota-issues }
            """);

        var changes = DomainPolicyChanges.Between(before, after).Changed.ToDictionary(c => c.Key, c => c.Settings);

        Assert.Contains("route 127.0.0.1:2525 -> [::1]:2526", changes["default"]);
        Assert.Contains(changes["mx:big"], s => s.StartsWith("match [*.mx.example] -> [*.mx.example, *.mx2.example]", StringComparison.Ordinal));
        Assert.Contains(changes["pool:out"], s => s.Contains("192.0.2.2", StringComparison.Ordinal));
        Assert.Contains(changes["bounce-rules"], s => s.Contains("quota-issues", StringComparison.Ordinal));
    }

    [Fact]
    public void The_summary_stays_one_bounded_line_however_many_domains_change()
    {
        string File(int connections) => "domains:\n" + string.Concat(Enumerable.Range(0, 40).Select(i =>
            $"  d{i}.example: {{ max-connections: {connections}, max-messages-per-connection: {connections}, max-recipients-per-transaction: {connections}, burst-window: {connections}s }}\n"));

        var summary = DomainPolicyChanges.Between(Parse(File(3)), Parse(File(4))).Summary();

        Assert.DoesNotContain('\n', summary);
        Assert.StartsWith("40 changed (", summary);
        Assert.Contains($"; and {40 - DomainPolicyChanges.MaxEntriesShown} more)", summary);
        Assert.Contains(" and 1 more;", summary);
        Assert.True(summary.Length < 1000, summary);
    }

    [Fact]
    public void Only_throttle_differences_let_open_connections_go_on()
    {
        var policy = Parse("default: { max-connections: 5, tls: none }\n").Default;
        Assert.True(DomainPolicyComparer.DiffersOnlyInThrottle(policy, Parse("default: { max-connections: 2, tls: none }\n").Default));
        Assert.False(DomainPolicyComparer.DiffersOnlyInThrottle(policy, Parse("default: { max-connections: 5, tls: required }\n").Default));
        Assert.True(DomainPolicyComparer.SameSettings(policy, Parse("default: { max-connections: 5, tls: none }\n").Default));
    }
}
