namespace MtaCluster.Delivery.Policies;

/// <summary>The policy resolved for one domain, and the throttle group whose counters it uses.</summary>
/// <param name="Domain">The normalised domain (lower case, no trailing dot).</param>
/// <param name="Policy">The resolved policy.</param>
/// <param name="Kind">How it matched.</param>
/// <param name="ThrottleKey">
/// The identity of the counters and queue: the domain itself for exact, wildcard and default matches
/// (a wildcard shares settings, not counters, as PowerMTA's wildcard domain directives do), and
/// <c>mx:</c>name for an MX pattern, so every domain hosted on the same receiver shares one set of limits
/// (PowerMTA's MX rollup).
/// </param>
public sealed record DomainPolicyMatch(string Domain, DomainPolicy Policy, PolicyMatchKind Kind, string ThrottleKey)
{
    /// <summary>
    /// An MX-pattern match by the domain's name (listed under the pattern's <c>domains:</c>) rather than by
    /// its MX hosts: such a domain is placed on the group's shard, so the group's limits hold cluster-wide.
    /// </summary>
    public bool IsListed { get; init; }
}
