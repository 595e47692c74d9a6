namespace MtaCluster.Delivery.Tenants;

/// <summary>
/// The "Tenants" section of node.yaml: tenant name to its settings. Names are case-insensitive, as
/// every configuration key is, and compared in lower case (<see cref="TenantName"/>).
/// </summary>
public sealed class TenantsOptions() : Dictionary<string, TenantOptions>(StringComparer.OrdinalIgnoreCase)
{
    public const string Section = "Tenants";
}
