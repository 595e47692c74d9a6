using MtaCluster.Mail;

namespace MtaCluster.Delivery.Tenants;

/// <summary>One tenant under the "Tenants" section of node.yaml.</summary>
public sealed class TenantOptions
{
    /// <summary>AUTH users that submit as this tenant; a user may belong to one tenant only.</summary>
    public List<string> Users { get; set; } = [];

    /// <summary>Its share of a domain's sends while other tenants' mail to that domain waits too; at least 1.</summary>
    public int Weight { get; set; } = 1;

    /// <summary>The lane of its mail when the message does not choose one with X-MtaCluster-Lane.</summary>
    public DeliveryLane DefaultLane { get; set; } = DeliveryLane.Bulk;

    /// <summary>Messages per hour this tenant may send, over all domains; not set or 0: no limit of its own.</summary>
    public int? MaxMessagesPerHour { get; set; }
}
