namespace MtaCluster.Dns.MailRouting;

/// <summary>How the delivery layer should treat a routing outcome: deliver, bounce, or defer and retry.</summary>
public enum MailRoutingStatus
{
    Success,
    PermanentFailure,
    TemporaryFailure,
}
