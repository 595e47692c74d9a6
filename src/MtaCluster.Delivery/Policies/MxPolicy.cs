namespace MtaCluster.Delivery.Policies;

/// <summary>A policy shared by every domain whose MX host matches one of <see cref="HostPatterns"/>.</summary>
public sealed record MxPolicy(string Name, IReadOnlyList<string> HostPatterns, DomainPolicy Policy)
{
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
