namespace MtaCluster.Delivery.Policies;

/// <summary>
/// A policy shared by every domain whose MX host matches one of <see cref="HostPatterns"/>, and by
/// the domains listed by name in <see cref="ListedDomains"/>.
/// </summary>
public sealed record MxPolicy(string Name, IReadOnlyList<string> HostPatterns, DomainPolicy Policy)
{
    /// <summary>Normalised domains listed under the pattern's <c>domains:</c>: in the group by name, placed by <see cref="ThrottleKey"/>.</summary>
    public IReadOnlyList<string> ListedDomains { get; init; } = [];

    /// <summary>The throttle group of every domain matched by this policy.</summary>
    public string ThrottleKey => "mx:" + Name;

    public bool Matches(string mxHost)
    {
        var host = DomainPolicyResolver.NormalizeDomain(mxHost);
        foreach (var pattern in HostPatterns)
        {
            if (pattern.StartsWith("*.", StringComparison.Ordinal)
                    ? host.Length > pattern.Length - 1 && host.EndsWith(pattern.AsSpan(1), StringComparison.Ordinal)
                    : host == pattern)
            {
                return true;
            }
        }

        return false;
    }
}
