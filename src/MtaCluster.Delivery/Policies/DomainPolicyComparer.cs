using System.Globalization;
using MtaCluster.Delivery.Classification;

namespace MtaCluster.Delivery.Policies;

/// <summary>
/// Compares resolved policies setting by setting, under the names <c>domains.yaml</c> gives them.
/// The records hold lists, regexes and pools, whose equality is by reference, and a reload builds
/// them all anew; so the comparison is over rendered values.
/// </summary>
public static class DomainPolicyComparer
{
    // What a domain's throttle group carries; every other setting is captured by a connection when it opens.
    private static readonly HashSet<string> ThrottleSettings = new(StringComparer.Ordinal)
    {
        "max-connections", "max-messages-per-minute", "max-messages-per-hour", "max-new-connections-per-minute", "burst-window",
        "backoff.patterns", "backoff.max-connections", "backoff.max-messages-per-minute", "backoff.retry-interval",
        "backoff.recover-after", "backoff.recovery-factor", "tenants",
    };

    /// <summary>Each setting that differs, as <c>name old -> new</c>, in file order.</summary>
    public static IReadOnlyList<string> Differences(DomainPolicy before, DomainPolicy after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var changes = new List<string>();
        using var a = Settings(before).GetEnumerator();
        using var b = Settings(after).GetEnumerator();
        while (a.MoveNext() && b.MoveNext())
        {
            if (a.Current.Value != b.Current.Value) changes.Add($"{a.Current.Name} {a.Current.Value} -> {b.Current.Value}");
        }
        return changes;
    }

    /// <summary>True when only throttle and backoff settings differ: connections already open may go on under the new policy.</summary>
    public static bool DiffersOnlyInThrottle(DomainPolicy before, DomainPolicy after) =>
        Settings(before).Zip(Settings(after)).All(p => p.First.Value == p.Second.Value || ThrottleSettings.Contains(p.First.Name));

    public static bool SameSettings(DomainPolicy before, DomainPolicy after) =>
        ReferenceEquals(before, after) || Settings(before).SequenceEqual(Settings(after));

    public static string Render(EgressPool pool) =>
        $"{pool.Name} [{string.Join(", ", pool.Addresses)}] {pool.Selection.ToString().ToLowerInvariant()}";

    public static string Render(BounceRule rule) => $"/{rule.Pattern}/ {rule.Category.ToName()}";

    /// <summary>Every setting of a resolved policy, rendered, in the order of the file's keys.</summary>
    internal static IEnumerable<(string Name, string Value)> Settings(DomainPolicy p)
    {
        yield return ("max-connections", Text(p.MaxConnections));
        yield return ("max-messages-per-connection", Text(p.MaxMessagesPerConnection));
        yield return ("max-recipients-per-transaction", Text(p.MaxRecipientsPerTransaction));
        yield return ("max-messages-per-minute", Rate(p.MaxMessagesPerMinute));
        yield return ("max-messages-per-hour", Rate(p.MaxMessagesPerHour));
        yield return ("max-new-connections-per-minute", Rate(p.MaxNewConnectionsPerMinute));
        yield return ("burst-window", Text(p.BurstWindow));
        yield return ("retry.intervals", "[" + string.Join(", ", p.Retry.Intervals.Select(Text)) + "]");
        yield return ("retry.then-every", Text(p.Retry.ThenEvery));
        yield return ("retry.jitter", p.Retry.Jitter.ToString(CultureInfo.InvariantCulture));
        yield return ("retry.max-age", Text(p.Retry.MaxAge));
        yield return ("tls", p.Tls.ToString().ToLowerInvariant());
        yield return ("egress-pool", Render(p.EgressPool));
        yield return ("route", p.Route?.ToString() ?? "direct");
        yield return ("backoff.patterns", "[" + string.Join(", ", p.Backoff.Patterns.Select(r => r.ToString())) + "]");
        yield return ("backoff.max-connections", Text(p.Backoff.MaxConnections));
        yield return ("backoff.max-messages-per-minute", Rate(p.Backoff.MaxMessagesPerMinute));
        yield return ("backoff.retry-interval", Text(p.Backoff.RetryInterval));
        yield return ("backoff.recover-after", Text(p.Backoff.RecoverAfter));
        yield return ("backoff.recovery-factor", Text(p.Backoff.RecoveryFactor));
        yield return ("tenants", "{" + string.Join(", ", p.TenantLimits.OrderBy(t => t.Key, StringComparer.Ordinal)
            .Select(t => $"{t.Key}: {Rate(t.Value.MaxMessagesPerMinute)}/min {Rate(t.Value.MaxMessagesPerHour)}/h")) + "}");
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Rate(int? value) => value is int v ? Text(v) : "unlimited";

    private static string Text(TimeSpan value) => value.ToString("c", CultureInfo.InvariantCulture);
}
