namespace MtaCluster.Delivery.Policies;

/// <summary>A policy shared by every domain whose MX host matches one of <see cref="Match"/>.</summary>
public sealed class MxPolicyOptions : DomainPolicyOptions
{
    /// <summary>Names the shared throttle group (<c>mx:</c>name).</summary>
    public string? Name { get; set; }

    /// <summary>MX host names, exact or <c>*.</c>suffix.</summary>
    public List<string>? Match { get; set; }

    /// <summary>
    /// Domains that belong to the group by name, before (and without) an MX lookup. They are placed on
    /// the group's shard, so one node holds the group's counters for all of them.
    /// </summary>
    public List<string>? Domains { get; set; }
}
