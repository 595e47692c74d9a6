namespace MtaCluster.Mime;

/// <summary>The Action field of a per-recipient status group (RFC 3464 §2.3.3).</summary>
public enum DsnAction
{
    Failed,
    Delayed,
    Delivered,
    Relayed,
    Expanded,
}
