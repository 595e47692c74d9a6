using System.Text;

namespace MtaCluster.Delivery.Policies;

/// <summary>
/// What a reload of <c>domains.yaml</c> changes, entry by entry (<c>default</c>, a domain, a
/// <c>*.</c>wildcard, <c>mx:</c>name, <c>pool:</c>name, the bounce rules), compared as resolved, so a
/// domain that inherits a changed default is listed as changed too: its delivery does change.
/// </summary>
public sealed class DomainPolicyChanges
{
    /// <summary>Entries described in full in <see cref="Summary"/>; further ones are counted, so one reload is one readable line.</summary>
    public const int MaxEntriesShown = 5;

    /// <summary>Settings shown per changed entry.</summary>
    public const int MaxSettingsShown = 3;

    private DomainPolicyChanges(IReadOnlyList<(string Key, IReadOnlyList<string> Settings)> changed, IReadOnlyList<string> added, IReadOnlyList<string> removed)
    {
        Changed = changed;
        Added = added;
        Removed = removed;
    }

    public IReadOnlyList<(string Key, IReadOnlyList<string> Settings)> Changed { get; }

    public IReadOnlyList<string> Added { get; }

    public IReadOnlyList<string> Removed { get; }

    public bool IsEmpty => Changed.Count + Added.Count + Removed.Count == 0;

    public static DomainPolicyChanges Between(DomainPolicyConfiguration before, DomainPolicyConfiguration after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var old = Entries(before);
        var @new = Entries(after);
        var changed = new List<(string, IReadOnlyList<string>)>();
        var added = new List<string>();
        foreach (var (key, settings) in @new)
        {
            if (!old.TryGetValue(key, out var previous))
            {
                added.Add(key);
                continue;
            }
            var differences = settings.Zip(previous)
                .Where(p => p.First.Value != p.Second.Value)
                .Select(p => $"{p.First.Name} {p.Second.Value} -> {p.First.Value}")
                .ToArray();
            if (differences.Length > 0) changed.Add((key, differences));
        }
        var removed = old.Keys.Where(k => !@new.ContainsKey(k)).ToList();
        return new DomainPolicyChanges(changed, added, removed);
    }

    /// <summary>One line: <c>2 changed (example.com: max-connections 5 -> 2), 1 added (new.example), 0 removed</c>.</summary>
    public string Summary()
    {
        if (IsEmpty) return "no changes";
        var text = new StringBuilder();
        text.Append(Changed.Count).Append(" changed");
        if (Changed.Count > 0)
        {
            text.Append(" (");
            text.AppendJoin("; ", Changed.Take(MaxEntriesShown).Select(c =>
                $"{c.Key}: {string.Join(", ", c.Settings.Take(MaxSettingsShown))}{(c.Settings.Count > MaxSettingsShown ? $" and {c.Settings.Count - MaxSettingsShown} more" : "")}"));
            if (Changed.Count > MaxEntriesShown) text.Append("; and ").Append(Changed.Count - MaxEntriesShown).Append(" more");
            text.Append(')');
        }
        AppendNames(text.Append(", ").Append(Added.Count).Append(" added"), Added);
        AppendNames(text.Append(", ").Append(Removed.Count).Append(" removed"), Removed);
        return text.ToString();
    }

    private static void AppendNames(StringBuilder text, IReadOnlyList<string> names)
    {
        if (names.Count == 0) return;
        text.Append(" (").AppendJoin(", ", names.Take(MaxEntriesShown));
        if (names.Count > MaxEntriesShown) text.Append(", and ").Append(names.Count - MaxEntriesShown).Append(" more");
        text.Append(')');
    }

    // Insertion order is file order for what the builder keeps in order (MX patterns, rules); the
    // dictionaries are sorted so the summary does not depend on hashing.
    private static Dictionary<string, IReadOnlyList<(string Name, string Value)>> Entries(DomainPolicyConfiguration configuration)
    {
        var entries = new Dictionary<string, IReadOnlyList<(string, string)>>(StringComparer.Ordinal)
        {
            [DomainPolicy.DefaultKey] = DomainPolicyComparer.Settings(configuration.Default).ToArray(),
        };
        foreach (var (domain, policy) in configuration.Exact.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            entries[domain] = DomainPolicyComparer.Settings(policy).ToArray();
        }
        foreach (var (suffix, policy) in configuration.Wildcards.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            entries["*." + suffix] = DomainPolicyComparer.Settings(policy).ToArray();
        }
        foreach (var mx in configuration.MxPolicies)
        {
            entries[mx.ThrottleKey] = DomainPolicyComparer.Settings(mx.Policy).Prepend(("match", "[" + string.Join(", ", mx.HostPatterns) + "]")).ToArray();
        }
        foreach (var (name, pool) in configuration.Pools.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            entries["pool:" + name] = [("addresses", DomainPolicyComparer.Render(pool))];
        }
        entries["bounce-rules"] = [("rules", "[" + string.Join(", ", configuration.BounceRules.Select(DomainPolicyComparer.Render)) + "]")];
        return entries;
    }
}
