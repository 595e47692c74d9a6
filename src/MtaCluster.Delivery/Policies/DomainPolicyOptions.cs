namespace MtaCluster.Delivery.Policies;

/// <summary>One policy entry as written; a null setting inherits from <c>default</c>.</summary>
public class DomainPolicyOptions
{
    public int? MaxConnections { get; set; }

    public int? MaxMessagesPerConnection { get; set; }

    public int? MaxRecipientsPerTransaction { get; set; }

    /// <summary>0 means unlimited, which lets an entry lift a limit set in <c>default</c>.</summary>
    public int? MaxMessagesPerMinute { get; set; }

    /// <summary>0 means unlimited.</summary>
    public int? MaxMessagesPerHour { get; set; }

    /// <summary>0 means unlimited.</summary>
    public int? MaxNewConnectionsPerMinute { get; set; }

    public TimeSpan? BurstWindow { get; set; }

    public RetryOptions? Retry { get; set; }

    /// <summary><c>none</c>, <c>opportunistic</c> or <c>required</c>.</summary>
    public string? Tls { get; set; }

    public string? EgressPool { get; set; }

    /// <summary><c>host[:port]</c> or <c>[ipv6][:port]</c>; <c>direct</c> cancels an inherited route.</summary>
    public string? Route { get; set; }

    public BackoffOptions? Backoff { get; set; }

    /// <summary>Per-tenant limits, by tenant name; each tenant's settings inherit one by one.</summary>
    public Dictionary<string, TenantLimitOptions?>? Tenants { get; set; }
}
