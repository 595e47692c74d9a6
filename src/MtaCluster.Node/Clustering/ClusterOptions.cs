namespace MtaCluster.Node.Clustering;

/// <summary>
/// The "Cluster" section of node.yaml: how a node on a PostgreSql spool takes part in the cluster.
/// Every node of a cluster should use the same values.
/// </summary>
public sealed class ClusterOptions
{
    public const string Section = "Cluster";

    /// <summary>A node silent this long is down and its shard leases have lapsed (the lease duration). At least four heartbeats.</summary>
    public TimeSpan FailureTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a node heartbeats and renews its leases; the coordinator allocates shards at the same pace.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>At most this many shards move in one rebalance round.</summary>
    public int RebalanceAbsoluteLimit { get; set; } = 20;

    /// <summary>At most this fraction of all shards moves in one rebalance round.</summary>
    public double RebalanceRelativeLimit { get; set; } = 0.1;

    /// <summary>
    /// How long a hand-off waits for a shard's entities to stop (their transactions on the wire finish
    /// and their outcomes commit) before the lease is released anyway. Longer than a transaction's grace on stop.
    /// </summary>
    public TimeSpan HandOffTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often an owner looks in the store for due work of its shards besides the wake-ups it is sent:
    /// the safety net for a wake-up lost while the store was away.
    /// </summary>
    public TimeSpan DueScanInterval { get; set; } = TimeSpan.FromSeconds(30);
}
