namespace MtaCluster.Delivery.Scheduling;

/// <summary>What a message's X-MtaCluster-Campaign header says.</summary>
public enum CampaignTag
{
    None,
    Valid,

    /// <summary>Empty, longer than <see cref="LaneHeaderScanner.MaxCampaignLength"/>, not printable ASCII, or copies that disagree.</summary>
    Invalid,
}
