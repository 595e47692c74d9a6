namespace MtaCluster.Delivery.Policies;

/// <summary>
/// Finds the policy for a destination domain. Precedence: exact domain (a <c>domains:</c> key or a
/// name listed under an MX pattern's <c>domains:</c>; the loader refuses a name in both), then the most
/// specific <c>*.</c>wildcard, then (when the MX hosts are known) the first MX pattern matching the most
/// preferred MX host, then <c>default</c>. Immutable; a configuration reload builds a new resolver.
/// </summary>
public sealed class DomainPolicyResolver
{
    public DomainPolicyResolver(DomainPolicyConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        Configuration = configuration;
    }

    public DomainPolicyConfiguration Configuration { get; }

    public DomainPolicy Default => Configuration.Default;

    /// <summary>Loads, validates and resolves a <c>domains.yaml</c>.</summary>
    /// <exception cref="DomainPolicyConfigException">The file is invalid.</exception>
    public static DomainPolicyResolver Load(string path) => new(DomainPolicyLoader.Load(path));

    /// <summary>The policy by domain name alone: exact, listed under an MX pattern, wildcard, default.</summary>
    public DomainPolicyMatch Resolve(string domain)
    {
        var name = NormalizeDomain(domain);
        return ResolveByName(name) ?? new DomainPolicyMatch(name, Configuration.Default, PolicyMatchKind.Default, name);
    }

    /// <summary>
    /// The policy with MX patterns considered: exact, wildcard, MX pattern, default.
    /// <paramref name="mxHosts"/> must be in preference order (lowest preference value first); the first
    /// host matched by any pattern decides, so a backup MX at another provider does not pull the domain
    /// into that provider's group.
    /// </summary>
    public DomainPolicyMatch ResolveWithMx(string domain, IEnumerable<string> mxHosts)
    {
        ArgumentNullException.ThrowIfNull(mxHosts);
        var name = NormalizeDomain(domain);
        var byName = ResolveByName(name);
        if (byName is not null)
        {
            return byName;
        }

        foreach (var host in mxHosts)
        {
            foreach (var mx in Configuration.MxPolicies)
            {
                if (mx.Matches(host))
                {
                    return new DomainPolicyMatch(name, mx.Policy, PolicyMatchKind.MxPattern, mx.ThrottleKey);
                }
            }
        }

        return new DomainPolicyMatch(name, Configuration.Default, PolicyMatchKind.Default, name);
    }

    /// <summary>Lower case without the trailing root dot; domains arrive as A-labels (RFC 5890).</summary>
    public static string NormalizeDomain(string domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        return domain.Trim().TrimEnd('.').ToLowerInvariant();
    }

    private DomainPolicyMatch? ResolveByName(string name)
    {
        if (Configuration.Exact.TryGetValue(name, out var exact))
        {
            return new DomainPolicyMatch(name, exact, PolicyMatchKind.Exact, name);
        }

        // Listed by name: the group's policy and counters before any MX lookup, also under a static route.
        if (Configuration.Listed.TryGetValue(name, out var group))
        {
            return new DomainPolicyMatch(name, group.Policy, PolicyMatchKind.MxPattern, group.ThrottleKey) { IsListed = true };
        }

        // Walk up one label at a time so the longest matching suffix wins: *.eu.example.com beats *.example.com.
        var dot = name.IndexOf('.');
        while (dot >= 0)
        {
            var suffix = name[(dot + 1)..];
            if (Configuration.Wildcards.TryGetValue(suffix, out var wildcard))
            {
                return new DomainPolicyMatch(name, wildcard, PolicyMatchKind.Wildcard, name);
            }

            dot = name.IndexOf('.', dot + 1);
        }

        return null;
    }
}
