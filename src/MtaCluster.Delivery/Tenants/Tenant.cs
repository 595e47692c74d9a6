using MtaCluster.Mail;

namespace MtaCluster.Delivery.Tenants;

/// <summary>A tenant as the node uses it: resolved from <see cref="TenantOptions"/>, name in lower case.</summary>
/// <param name="MaxMessagesPerHour">Null: no limit of its own (domain policies still apply).</param>
public sealed record Tenant(string Name, int Weight, DeliveryLane DefaultLane, int? MaxMessagesPerHour)
{
    /// <summary>The tenant <c>default</c> when node.yaml does not configure it.</summary>
    public static Tenant BuiltInDefault { get; } = new(TenantName.Default, 1, DeliveryLane.Bulk, null);
}
