namespace MtaCluster.Cluster.Membership;

internal enum ClusterEventKind
{
    ShardAcquired,
    ShardLost,
    HandOffRequested,
    CoordinatorRound,
    LeaveRequested,
}

/// <summary>A change of this node's shards, queued by the loops and raised by <see cref="ClusterEventDispatcher"/>.</summary>
internal readonly record struct ClusterEvent(ClusterEventKind Kind, int Shard, long Epoch, Coordination.CoordinatorRoundResult? Round = null);
