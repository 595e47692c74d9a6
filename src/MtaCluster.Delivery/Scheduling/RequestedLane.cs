namespace MtaCluster.Delivery.Scheduling;

/// <summary>What a message's X-MtaCluster-Lane header asks for.</summary>
public enum RequestedLane
{
    /// <summary>No such header: the tenant's default lane.</summary>
    None,
    Transactional,
    Bulk,

    /// <summary>A value that is neither lane, or copies that disagree: ignored with a warning, never refused.</summary>
    Unknown,
}
