namespace MtaCluster.Delivery.Policies;

/// <summary>A tenant's limits at one destination as written under <c>tenants:</c>; a null setting inherits.</summary>
public sealed class TenantLimitOptions
{
    /// <summary>0 means unlimited, which lets an entry lift a limit set in <c>default</c>.</summary>
    public int? MaxMessagesPerMinute { get; set; }

    /// <summary>0 means unlimited.</summary>
    public int? MaxMessagesPerHour { get; set; }
}
