using System.Net;
using System.Text.RegularExpressions;
using MtaCluster.Delivery.Classification;
using MtaCluster.Delivery.Retries;
using MtaCluster.Delivery.Tenants;
using MtaCluster.Delivery.Throttling;
using MtaCluster.Mail;

namespace MtaCluster.Delivery.Policies;

/// <summary>
/// Turns <see cref="DomainsFileOptions"/> into a <see cref="DomainPolicyConfiguration"/>. Every problem is
/// collected with the path of its key, so one run of the loader reports the whole file's mistakes.
/// </summary>
internal sealed class DomainPolicyConfigurationBuilder(string source)
{
    private readonly List<string> _errors = [];
    private Dictionary<string, EgressPool> _pools = new(StringComparer.Ordinal);

    public DomainPolicyConfiguration Build(DomainsFileOptions options)
    {
        _pools = BuildPools(options.Pools);
        var builtIn = DomainPolicy.BuiltIn with { EgressPool = _pools[EgressPool.DefaultName] };
        var @default = Resolve(options.Default, builtIn, DomainPolicy.DefaultKey, "default");

        var exact = new Dictionary<string, DomainPolicy>(StringComparer.Ordinal);
        var wildcards = new Dictionary<string, DomainPolicy>(StringComparer.Ordinal);
        foreach (var (rawKey, entry) in options.Domains ?? [])
        {
            var path = $"domains[\"{rawKey}\"]";
            var key = DomainPolicyResolver.NormalizeDomain(rawKey ?? string.Empty);
            if (!IsDomainPattern(key))
            {
                Error(path, "is not a domain or a *.domain wildcard");
                continue;
            }

            var isWildcard = key.StartsWith("*.", StringComparison.Ordinal);
            var target = isWildcard ? wildcards : exact;
            var mapKey = isWildcard ? key[2..] : key;
            if (target.ContainsKey(mapKey))
            {
                Error(path, "is listed twice (domain keys are case-insensitive)");
                continue;
            }

            target[mapKey] = Resolve(entry, @default, key, path);
        }

        var mxPolicies = new List<MxPolicy>();
        var listed = new Dictionary<string, MxPolicy>(StringComparer.Ordinal);
        var mxNames = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var entry in options.MxPatterns ?? [])
        {
            var path = $"mx-patterns[{index++}]";
            if (entry is null)
            {
                Error(path, "is empty");
                continue;
            }

            var name = entry.Name?.Trim().ToLowerInvariant();
            if (string.IsNullOrEmpty(name))
            {
                Error(path + ".name", "is required (it names the shared throttle group)");
                continue;
            }

            if (!mxNames.Add(name))
            {
                Error(path + ".name", $"'{name}' is used by another MX pattern");
            }

            var patterns = new List<string>();
            if (entry.Match is null || entry.Match.Count == 0)
            {
                Error(path + ".match", "must list at least one MX host pattern");
            }
            else
            {
                for (var i = 0; i < entry.Match.Count; i++)
                {
                    var pattern = DomainPolicyResolver.NormalizeDomain(entry.Match[i] ?? string.Empty);
                    if (IsDomainPattern(pattern))
                    {
                        patterns.Add(pattern);
                    }
                    else
                    {
                        Error($"{path}.match[{i}]", $"'{entry.Match[i]}' is not a host name or a *.domain wildcard");
                    }
                }
            }

            var members = ListedDomains(entry.Domains, path + ".domains", name, exact, listed);
            var mxPolicy = new MxPolicy(name, patterns, Resolve(entry, @default, "mx:" + name, path)) { ListedDomains = members };
            foreach (var member in members) listed[member] = mxPolicy;
            mxPolicies.Add(mxPolicy);
        }

        var rules = BuildRules(options.BounceRules);
        if (_errors.Count > 0)
        {
            throw new DomainPolicyConfigException(source, _errors);
        }

        return new DomainPolicyConfiguration(source, @default, exact, wildcards, mxPolicies, _pools, rules, listed);
    }

    /// <summary>
    /// The domains an MX pattern lists by name. A name is one exact statement about a domain, so the same
    /// name under two patterns, or also as a <c>domains:</c> key, is refused rather than ranked: either
    /// would leave the operator guessing which limits and which counters the domain gets.
    /// </summary>
    private List<string> ListedDomains(List<string>? names, string path, string pattern,
        Dictionary<string, DomainPolicy> exact, Dictionary<string, MxPolicy> listedElsewhere)
    {
        var members = new List<string>();
        for (var i = 0; i < (names?.Count ?? 0); i++)
        {
            var itemPath = $"{path}[{i}]";
            var domain = DomainPolicyResolver.NormalizeDomain(names![i] ?? string.Empty);
            if (!IsDomainPattern(domain) || domain.StartsWith("*.", StringComparison.Ordinal))
            {
                Error(itemPath, $"'{names[i]}' is not a domain name (list exact domains as A-labels; wildcards are not placed by name)");
            }
            else if (members.Contains(domain))
            {
                Error(itemPath, $"'{domain}' is listed twice under mx-pattern '{pattern}'");
            }
            else if (listedElsewhere.TryGetValue(domain, out var other))
            {
                Error(itemPath, $"'{domain}' is already listed under mx-pattern '{other.Name}'; a domain belongs to one group");
            }
            else if (exact.ContainsKey(domain))
            {
                Error(itemPath, $"'{domain}' also has an exact entry under domains; set its limits in one place (the group's, here, or its own there)");
            }
            else
            {
                members.Add(domain);
            }
        }

        return members;
    }

    private DomainPolicy Resolve(DomainPolicyOptions? entry, DomainPolicy parent, string key, string path)
    {
        if (entry is null)
        {
            return parent with { Key = key };
        }

        return new DomainPolicy(
            key,
            Positive(entry.MaxConnections, parent.MaxConnections, path, "max-connections"),
            Positive(entry.MaxMessagesPerConnection, parent.MaxMessagesPerConnection, path, "max-messages-per-connection"),
            Positive(entry.MaxRecipientsPerTransaction, parent.MaxRecipientsPerTransaction, path, "max-recipients-per-transaction"),
            Rate(entry.MaxMessagesPerMinute, parent.MaxMessagesPerMinute, path, "max-messages-per-minute"),
            Rate(entry.MaxMessagesPerHour, parent.MaxMessagesPerHour, path, "max-messages-per-hour"),
            Rate(entry.MaxNewConnectionsPerMinute, parent.MaxNewConnectionsPerMinute, path, "max-new-connections-per-minute"),
            NonNegative(entry.BurstWindow, parent.BurstWindow, path, "burst-window"),
            ResolveRetry(entry.Retry, parent.Retry, path + ".retry"),
            ResolveTls(entry.Tls, parent.Tls, path + ".tls"),
            ResolvePool(entry.EgressPool, parent.EgressPool, path + ".egress-pool"),
            ResolveRoute(entry.Route, parent.Route, path + ".route"),
            ResolveBackoff(entry.Backoff, parent.Backoff, path + ".backoff"))
        {
            TenantLimits = ResolveTenants(entry.Tenants, parent.TenantLimits, path + ".tenants"),
        };
    }

    private IReadOnlyDictionary<string, TenantRateLimits> ResolveTenants(
        Dictionary<string, TenantLimitOptions?>? options, IReadOnlyDictionary<string, TenantRateLimits> parent, string path)
    {
        if (options is null || options.Count == 0)
        {
            return parent;
        }

        var limits = new Dictionary<string, TenantRateLimits>(parent, StringComparer.Ordinal);
        foreach (var (rawName, tenant) in options)
        {
            var name = TenantName.Normalize(rawName ?? string.Empty);
            var tenantPath = $"{path}[\"{rawName}\"]";
            if (!TenantName.IsValid(name))
            {
                Error(tenantPath, TenantName.Rule);
                continue;
            }

            if (options.Keys.Count(k => k is not null && TenantName.Normalize(k) == name) > 1)
            {
                Error(tenantPath, "is listed twice (tenant names are case-insensitive)");
                continue;
            }

            var inherited = parent.GetValueOrDefault(name);
            var resolved = new TenantRateLimits(
                Rate(tenant?.MaxMessagesPerMinute, inherited?.MaxMessagesPerMinute, tenantPath, "max-messages-per-minute"),
                Rate(tenant?.MaxMessagesPerHour, inherited?.MaxMessagesPerHour, tenantPath, "max-messages-per-hour"));
            if (resolved.IsUnlimited)
            {
                // 0 lifts an inherited limit: the tenant is back to the destination's own rate.
                limits.Remove(name);
            }
            else
            {
                limits[name] = resolved;
            }
        }

        return limits;
    }

    private RetrySettings ResolveRetry(RetryOptions? options, RetrySettings parent, string path)
    {
        if (options is null)
        {
            return parent;
        }

        var intervals = parent.Intervals;
        if (options.Intervals is not null)
        {
            for (var i = 0; i < options.Intervals.Count; i++)
            {
                if (options.Intervals[i] <= TimeSpan.Zero)
                {
                    Error($"{path}.intervals[{i}]", "must be longer than zero");
                }
            }

            intervals = options.Intervals.ToArray();
        }

        var jitter = parent.Jitter;
        if (options.Jitter is double j)
        {
            if (j is >= 0 and < 1)
            {
                jitter = j;
            }
            else
            {
                Error(path + ".jitter", $"must be a fraction from 0 up to (not including) 1, got {j}");
            }
        }

        return new RetrySettings(
            intervals,
            Positive(options.ThenEvery, parent.ThenEvery, path, "then-every"),
            jitter,
            Positive(options.MaxAge, parent.MaxAge, path, "max-age"));
    }

    private BackoffSettings ResolveBackoff(BackoffOptions? options, BackoffSettings parent, string path)
    {
        if (options is null)
        {
            return parent;
        }

        var patterns = parent.Patterns;
        if (options.Patterns is not null)
        {
            var compiled = new List<Regex>();
            for (var i = 0; i < options.Patterns.Count; i++)
            {
                if (TryCompile(options.Patterns[i], $"{path}.patterns[{i}]", out var regex))
                {
                    compiled.Add(regex);
                }
            }

            patterns = compiled;
        }

        var factor = parent.RecoveryFactor;
        if (options.RecoveryFactor is int f)
        {
            if (f >= 2)
            {
                factor = f;
            }
            else
            {
                Error(path + ".recovery-factor", $"must be at least 2, got {f}");
            }
        }

        return new BackoffSettings(
            patterns,
            Positive(options.MaxConnections, parent.MaxConnections, path, "max-connections"),
            Rate(options.MaxMessagesPerMinute, parent.MaxMessagesPerMinute, path, "max-messages-per-minute"),
            Positive(options.RetryInterval, parent.RetryInterval, path, "retry-interval"),
            Positive(options.RecoverAfter, parent.RecoverAfter, path, "recover-after"),
            factor);
    }

    private TlsPolicy ResolveTls(string? value, TlsPolicy parent, string path)
    {
        switch (value?.Trim().ToLowerInvariant())
        {
            case null:
                return parent;
            case "none":
                return TlsPolicy.None;
            case "opportunistic":
            case "may":
                return TlsPolicy.Opportunistic;
            case "required":
            case "encrypt":
                return TlsPolicy.Required;
            default:
                Error(path, $"'{value}' is not one of none, opportunistic, required");
                return parent;
        }
    }

    private EgressPool ResolvePool(string? name, EgressPool parent, string path)
    {
        if (name is null)
        {
            return parent;
        }

        if (_pools.TryGetValue(name.Trim(), out var pool))
        {
            return pool;
        }

        Error(path, $"names pool '{name}', which is not defined under pools (defined: {string.Join(", ", _pools.Keys.Order())})");
        return parent;
    }

    private StaticRoute? ResolveRoute(string? value, StaticRoute? parent, string path)
    {
        if (value is null)
        {
            return parent;
        }

        if (value.Trim().ToLowerInvariant() is "direct" or "none" or "mx")
        {
            return null;
        }

        if (StaticRoute.TryParse(value, out var route, out var error))
        {
            return route;
        }

        Error(path, error);
        return parent;
    }

    private Dictionary<string, EgressPool> BuildPools(Dictionary<string, EgressPoolOptions>? options)
    {
        var pools = new Dictionary<string, EgressPool>(StringComparer.Ordinal);
        foreach (var (name, pool) in options ?? [])
        {
            var path = $"pools[\"{name}\"]";
            if (string.IsNullOrWhiteSpace(name))
            {
                Error(path, "a pool needs a name");
                continue;
            }

            var selection = EgressPoolSelection.RoundRobin;
            switch (pool?.Selection?.Trim().ToLowerInvariant())
            {
                case null or "round-robin":
                    break;
                case "hash":
                    selection = EgressPoolSelection.Hash;
                    break;
                default:
                    Error(path + ".selection", $"'{pool.Selection}' is not one of round-robin, hash");
                    break;
            }

            var addresses = new List<IPAddress>();
            var list = pool?.Addresses ?? [];
            if (list.Count == 0)
            {
                Error(path, "must list at least one source address");
            }

            for (var i = 0; i < list.Count; i++)
            {
                if (IPAddress.TryParse(list[i]?.Trim(), out var address))
                {
                    addresses.Add(address);
                }
                else
                {
                    Error($"{path}[{i}]", $"'{list[i]}' is not an IP address");
                }
            }

            pools[name.Trim()] = new EgressPool(name.Trim(), addresses, selection);
        }

        pools.TryAdd(EgressPool.DefaultName, DomainPolicy.BuiltIn.EgressPool);
        return pools;
    }

    private IReadOnlyList<BounceRule> BuildRules(List<BounceRuleOptions>? options)
    {
        if (options is null)
        {
            return BounceRule.Defaults;
        }

        var rules = new List<BounceRule>();
        for (var i = 0; i < options.Count; i++)
        {
            var path = $"bounce-rules[{i}]";
            var rule = options[i];
            BounceCategory? category = null;
            if (rule?.Category is null)
            {
                Error(path + ".category", "is required");
            }
            else if (!BounceCategoryNames.TryParse(rule.Category, out category))
            {
                Error(path + ".category", $"'{rule.Category}' is not one of {string.Join(", ", BounceCategoryNames.All)}");
            }

            if (TryCompile(rule?.Pattern, path + ".pattern", out var regex) && category is { } c)
            {
                rules.Add(new BounceRule(regex, c));
            }
        }

        return rules;
    }

    private bool TryCompile(string? pattern, string path, out Regex regex)
    {
        regex = null!;
        if (string.IsNullOrEmpty(pattern))
        {
            Error(path, "is required");
            return false;
        }

        try
        {
            regex = BackoffSettings.CreatePattern(pattern);
            return true;
        }
        catch (ArgumentException ex)
        {
            Error(path, $"'{pattern}' is not a valid regular expression: {ex.Message}");
            return false;
        }
    }

    private int Positive(int? value, int parent, string path, string key)
    {
        if (value is not int v)
        {
            return parent;
        }

        if (v >= 1)
        {
            return v;
        }

        Error($"{path}.{key}", $"must be at least 1, got {v}");
        return parent;
    }

    private int? Rate(int? value, int? parent, string path, string key)
    {
        if (value is not int v)
        {
            return parent;
        }

        if (v >= 0)
        {
            return v == 0 ? null : v;
        }

        Error($"{path}.{key}", $"must be 0 (unlimited) or more, got {v}");
        return parent;
    }

    private TimeSpan Positive(TimeSpan? value, TimeSpan parent, string path, string key)
    {
        if (value is not TimeSpan v)
        {
            return parent;
        }

        if (v > TimeSpan.Zero)
        {
            return v;
        }

        Error($"{path}.{key}", $"must be longer than zero, got {v}");
        return parent;
    }

    private TimeSpan NonNegative(TimeSpan? value, TimeSpan parent, string path, string key)
    {
        if (value is not TimeSpan v)
        {
            return parent;
        }

        if (v >= TimeSpan.Zero)
        {
            return v;
        }

        Error($"{path}.{key}", $"must not be negative, got {v}");
        return parent;
    }

    private static bool IsDomainPattern(string value)
    {
        var name = value.StartsWith("*.", StringComparison.Ordinal) ? value[2..] : value;
        return name.Length is > 0 and <= 253 &&
            name.Split('.').All(label =>
                label.Length is > 0 and <= 63 &&
                label.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_') &&
                label[0] != '-' && label[^1] != '-');
    }

    private void Error(string path, string message) => _errors.Add($"{path}: {message}");
}
