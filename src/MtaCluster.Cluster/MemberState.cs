namespace MtaCluster.Cluster;

/// <summary>
/// A member's life, as in Akka.Cluster: <see cref="Joining"/> until the coordinator lets it in,
/// <see cref="Up"/> (may own shards), <see cref="Leaving"/> (handing its shards off), <see cref="Removed"/>
/// after a graceful leave, <see cref="Down"/> when it fell silent past the failure timeout.
/// </summary>
public enum MemberState
{
    Joining,
    Up,
    Leaving,
    Down,
    Removed,
}
