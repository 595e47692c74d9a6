namespace MtaCluster.Delivery.Policies;

/// <summary>The root of <c>domains.yaml</c>, as written; <see cref="DomainPolicyConfiguration"/> is the validated form.</summary>
public sealed class DomainsFileOptions
{
    /// <summary>Settings for every domain; unset ones take the built-in bulk-MTA values.</summary>
    public DomainPolicyOptions? Default { get; set; }

    /// <summary>Per-domain overrides keyed by exact domain or <c>*.</c>suffix wildcard.</summary>
    public Dictionary<string, DomainPolicyOptions>? Domains { get; set; }

    /// <summary>Policies shared by every domain whose MX host matches, tried in order.</summary>
    public List<MxPolicyOptions>? MxPatterns { get; set; }

    /// <summary>Source-address pools by name.</summary>
    public Dictionary<string, EgressPoolOptions>? Pools { get; set; }

    /// <summary>Text rules for bounce classification, tried in order before the status-code table.</summary>
    public List<BounceRuleOptions>? BounceRules { get; set; }
}
