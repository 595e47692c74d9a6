using MtaCluster.Delivery.Classification;

namespace MtaCluster.Delivery.Policies;

/// <summary>A validated domain policy file with every entry resolved against <c>default</c>.</summary>
public sealed class DomainPolicyConfiguration
{
    internal DomainPolicyConfiguration(
        string source,
        DomainPolicy @default,
        IReadOnlyDictionary<string, DomainPolicy> exact,
        IReadOnlyDictionary<string, DomainPolicy> wildcards,
        IReadOnlyList<MxPolicy> mxPolicies,
        IReadOnlyDictionary<string, EgressPool> pools,
        IReadOnlyList<BounceRule> bounceRules,
        IReadOnlyDictionary<string, MxPolicy> listed)
    {
        Listed = listed;
        Source = source;
        Default = @default;
        Exact = exact;
        Wildcards = wildcards;
        MxPolicies = mxPolicies;
        Pools = pools;
        BounceRules = bounceRules;
    }

    /// <summary>Where the configuration came from, for messages.</summary>
    public string Source { get; }

    public DomainPolicy Default { get; }

    /// <summary>Policies for exact domains, keyed by normalised domain.</summary>
    public IReadOnlyDictionary<string, DomainPolicy> Exact { get; }

    /// <summary>Policies for <c>*.</c>suffix entries, keyed by the suffix without <c>*.</c>.</summary>
    public IReadOnlyDictionary<string, DomainPolicy> Wildcards { get; }

    /// <summary>MX-pattern policies in file order.</summary>
    public IReadOnlyList<MxPolicy> MxPolicies { get; }

    /// <summary>The MX pattern of each domain listed by name under an <c>mx-patterns</c> entry's <c>domains:</c>, keyed by normalised domain.</summary>
    public IReadOnlyDictionary<string, MxPolicy> Listed { get; }

    public IReadOnlyDictionary<string, EgressPool> Pools { get; }

    /// <summary>Classification rules, in the order they are tried.</summary>
    public IReadOnlyList<BounceRule> BounceRules { get; }

    /// <summary>The configuration of an empty file: built-in defaults, default rules, the implicit default pool.</summary>
    public static DomainPolicyConfiguration BuiltIn { get; } = FromOptions(new DomainsFileOptions(), "built-in");

    /// <summary>Validates and resolves <paramref name="options"/>, reporting every problem at once.</summary>
    /// <exception cref="DomainPolicyConfigException">Any setting is invalid.</exception>
    public static DomainPolicyConfiguration FromOptions(DomainsFileOptions options, string source = "domains.yaml")
    {
        ArgumentNullException.ThrowIfNull(options);
        return new DomainPolicyConfigurationBuilder(source).Build(options);
    }
}
