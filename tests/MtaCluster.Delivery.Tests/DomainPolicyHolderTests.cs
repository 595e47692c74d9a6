using Microsoft.Extensions.Logging.Abstractions;
using MtaCluster.Delivery.Classification;
using MtaCluster.Delivery.Domains;
using MtaCluster.Delivery.Policies;

namespace MtaCluster.Delivery.Tests;

public sealed class DomainPolicyHolderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mta-holder-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Replace_puts_the_new_file_in_force_under_a_new_generation_and_returns_the_old_snapshot()
    {
        var holder = new DomainPolicyHolder(DomainPolicyLoader.Parse("domains:\n  example.com: { max-connections: 5 }\n"));
        var first = holder.Current;

        var replaced = holder.Replace(DomainPolicyLoader.Parse("domains:\n  example.com: { max-connections: 2 }\nbounce-rules:\n  - { pattern: 'greylist', category: quota-issues }\n"));

        Assert.Same(first, replaced);
        Assert.Equal(first.Generation + 1, holder.Current.Generation);
        Assert.Equal(2, holder.Current.Resolver.Resolve("example.com").Policy.MaxConnections);
        // The classifier is built from the same file as the resolver, swapped with it.
        Assert.Equal(BounceCategory.QuotaIssues, holder.Current.Classifier.Classify(450, null, "greylisted, try later"));
        Assert.Equal(5, first.Resolver.Resolve("example.com").Policy.MaxConnections);
    }

    [Fact]
    public void Concurrent_replaces_never_repeat_a_generation()
    {
        var holder = new DomainPolicyHolder(DomainPolicyConfiguration.BuiltIn);
        var configuration = DomainPolicyLoader.Parse("default: { max-connections: 3 }\n");
        var generations = new System.Collections.Concurrent.ConcurrentBag<long>();
        Parallel.For(0, 200, _ => generations.Add(holder.Replace(configuration).Generation));
        Assert.Equal(200, generations.Distinct().Count());
        Assert.Equal(201, holder.Current.Generation);
    }

    [Fact]
    public void A_context_reads_the_policy_in_force_at_each_use()
    {
        var holder = new DomainPolicyHolder(DomainPolicyLoader.Parse("default: { max-connections: 5 }\n"));
        var context = new DeliveryContext(null!, null!, holder, null!, new DeliveryOptions(), NullLoggerFactory.Instance);
        Assert.Equal(5, context.Policies.Default.MaxConnections);
        holder.Replace(DomainPolicyLoader.Parse("default: { max-connections: 1 }\n"));
        Assert.Equal(1, context.Policies.Default.MaxConnections);
    }

    [Fact]
    public void A_reloader_refuses_a_bad_file_with_the_key_named_and_keeps_the_policy_in_force()
    {
        var path = Path.Combine(_dir, "domains.yaml");
        File.WriteAllText(path, "default: { max-connections: 5 }\n");
        var holder = new DomainPolicyHolder(DomainPolicyLoader.Load(path));
        var logger = new ListLogger();
        var reloader = new DomainPolicyReloader(holder, path, logger);

        File.WriteAllText(path, "default:\n  max-conections: 2\n");
        Assert.Null(reloader.Reload());
        Assert.Equal(5, holder.Current.Resolver.Default.MaxConnections);
        var error = Assert.Single(logger.Entries, e => e.Level == Microsoft.Extensions.Logging.LogLevel.Error);
        Assert.Contains("max-conections", error.Message);

        File.WriteAllText(path, "default: { max-connections: 2 }\n");
        var changes = reloader.Reload();
        Assert.NotNull(changes);
        Assert.Equal(2, holder.Current.Resolver.Default.MaxConnections);
        Assert.Contains(logger.Entries, e => e.Message == "domains.yaml reloaded: 1 changed (default: max-connections 5 -> 2), 0 added, 0 removed");
    }

    [Fact]
    public void A_reload_that_changes_the_listed_domains_warns_that_their_placement_waits_for_a_restart()
    {
        const string listed = "mx-patterns:\n  - name: google\n    match: [\"*.google.com\"]\n    domains: [gmail.com]\n";
        var path = Path.Combine(_dir, "domains.yaml");
        File.WriteAllText(path, listed);
        var holder = new DomainPolicyHolder(DomainPolicyLoader.Load(path));
        var placement = DomainPlacement.From(holder.Current.Configuration, 64);
        var logger = new ListLogger();
        var reloader = new DomainPolicyReloader(holder, path, logger, placement);

        File.WriteAllText(path, "default: { max-connections: 5 }\n" + listed);
        Assert.NotNull(reloader.Reload());
        Assert.DoesNotContain(logger.Entries, e => e.Level == Microsoft.Extensions.Logging.LogLevel.Warning);

        File.WriteAllText(path, listed.Replace("[gmail.com]", "[gmail.com, googlemail.com]", StringComparison.Ordinal));
        Assert.NotNull(reloader.Reload());
        var warning = Assert.Single(logger.Entries, e => e.Level == Microsoft.Extensions.Logging.LogLevel.Warning);
        Assert.Contains("placement takes effect at restart", warning.Message);
        // The policy follows the file at once; the placement stays the one taken at start.
        Assert.Equal("mx:google", holder.Current.Resolver.Resolve("googlemail.com").ThrottleKey);
        Assert.False(placement.IsListed("googlemail.com"));
    }

    [Fact]
    public void A_cluster_node_warns_once_per_domain_that_joins_a_group_by_its_mx_alone()
    {
        var holder = new DomainPolicyHolder(DomainPolicyLoader.Parse("mx-patterns:\n  - name: google\n    match: [\"*.google.com\"]\n    domains: [gmail.com]\n"));
        var context = new DeliveryContext(null!, null!, holder, null!, new DeliveryOptions(), NullLoggerFactory.Instance);
        var resolver = holder.Current.Resolver;
        var byMx = resolver.ResolveWithMx("hosted.test", ["aspmx.l.google.com"]);
        var logger = new ListLogger();

        // A single node holds every group's counters: nothing to say.
        context.WarnIfGroupLimitsPerNode(byMx, logger);
        Assert.Empty(logger.Entries);

        context.IsLocalDomain = _ => true;
        context.WarnIfGroupLimitsPerNode(byMx, logger);
        context.WarnIfGroupLimitsPerNode(byMx, logger);
        context.WarnIfGroupLimitsPerNode(resolver.ResolveWithMx("gmail.com", ["aspmx.l.google.com"]), logger);
        context.WarnIfGroupLimitsPerNode(resolver.ResolveWithMx("other.test", ["mx.other.test"]), logger);
        var warning = Assert.Single(logger.Entries);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, warning.Level);
        Assert.Contains("hosted.test joined throttle group mx:google by its MX hosts", warning.Message);
        Assert.Contains("list it under the pattern's domains:", warning.Message);
    }

    [Fact]
    public void A_throttle_group_takes_reloaded_limits_and_keeps_its_open_connections()
    {
        var before = DomainPolicyLoader.Parse("default: { max-connections: 3 }\n").Default;
        var group = new ThrottleGroup(before, TimeProvider.System, generation: 1);
        Assert.True(group.Throttle.TryAcquireConnection());
        Assert.True(group.Throttle.TryAcquireConnection());

        var after = DomainPolicyLoader.Parse("default: { max-connections: 2 }\n").Default;
        Assert.True(group.Apply(after, generation: 2));

        Assert.Equal(2, group.Throttle.ActiveConnections);
        Assert.False(group.Throttle.TryAcquireConnection());
        Assert.False(group.Apply(after, generation: 2), "the policy in force is not applied again");
        // A domain of the group that has not looked at the reload yet cannot put the old limits back.
        Assert.False(group.Apply(DomainPolicyLoader.Parse("default: { max-connections: 3 }\n").Default, generation: 1));
        Assert.False(group.Throttle.TryAcquireConnection());
    }

    private sealed class ListLogger : Microsoft.Extensions.Logging.ILogger
    {
        public List<(Microsoft.Extensions.Logging.LogLevel Level, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((logLevel, formatter(state, exception)));
    }
}
