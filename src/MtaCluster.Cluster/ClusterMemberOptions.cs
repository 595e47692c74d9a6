namespace MtaCluster.Cluster;

/// <summary>How a node takes part in the cluster. Every node of a cluster must agree on <see cref="MaxShards"/> and the timings.</summary>
public sealed record ClusterMemberOptions
{
    /// <summary>The PostgreSQL database the nodes share (the spool's).</summary>
    public required string ConnectionString { get; init; }

    /// <summary>Unique per node; it is the <c>owner</c> written in the lease rows.</summary>
    public required string NodeName { get; init; }

    public int MaxShards { get; init; } = 1024;

    /// <summary>A node silent this long is down; it is also the lease duration, so a down node's leases have lapsed.</summary>
    public TimeSpan FailureTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the node heartbeats and renews its leases (and, as coordinator, runs a round).</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>At most this many shards move in one rebalance round (Akka's <c>rebalance-absolute-limit</c>).</summary>
    public int RebalanceAbsoluteLimit { get; init; } = 20;

    /// <summary>At most this fraction of all shards moves in one rebalance round (Akka's <c>rebalance-relative-limit</c>).</summary>
    public double RebalanceRelativeLimit { get; init; } = 0.1;

    /// <summary>Free-form text (JSON by convention) the node advertises in <c>nodes.advertised</c>: its ports, for status output.</summary>
    public string? Advertised { get; init; }

    /// <summary>How long a node believes in a lease after the renewal that began at t: until t + this (a fifth less than the lease).</summary>
    internal TimeSpan BeliefDuration => FailureTimeout * 0.8;

    /// <summary>A node silent this long is unreachable: rebalancing waits for it to come back or be downed.</summary>
    internal TimeSpan UnreachableAfter => FailureTimeout / 2;

    /// <summary>
    /// Bounds every statement and connection attempt of a round, so a vanished server cannot stall the loop for
    /// good. Safety does not rest on it: a renewal that commits late extends the belief only from the time the
    /// round began, and the watchdog drops a lapsed belief whatever the heartbeat is waiting for.
    /// </summary>
    internal TimeSpan RoundTimeout => FailureTimeout;

    /// <summary>The server ends a member's session idle inside a transaction this long: half the lease.</summary>
    internal TimeSpan IdleInTransactionTimeout => FailureTimeout / 2;

    /// <summary>How long a round's statements wait for a row lock before the round gives up until the next beat.</summary>
    internal TimeSpan LockTimeout => HeartbeatInterval;

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString)) throw new ArgumentException("Cluster: a connection string is required.");
        if (string.IsNullOrWhiteSpace(NodeName)) throw new ArgumentException("Cluster: NodeName is required.");
        if (MaxShards <= 0) throw new ArgumentException("Cluster: MaxShards must be positive.");
        if (HeartbeatInterval <= TimeSpan.Zero) throw new ArgumentException("Cluster: HeartbeatInterval must be positive.");

        // A lease must survive a couple of missed renewals, or one slow round would drop every shard.
        if (FailureTimeout < HeartbeatInterval * 4)
        {
            throw new ArgumentException("Cluster: FailureTimeout must be at least four HeartbeatIntervals.");
        }

        if (RebalanceAbsoluteLimit <= 0) throw new ArgumentException("Cluster: RebalanceAbsoluteLimit must be positive.");
        if (RebalanceRelativeLimit is <= 0 or > 1) throw new ArgumentException("Cluster: RebalanceRelativeLimit must be in (0, 1].");
    }
}
