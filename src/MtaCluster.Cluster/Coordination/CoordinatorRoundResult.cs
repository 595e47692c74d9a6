namespace MtaCluster.Cluster.Coordination;

/// <summary>
/// One coordinator round: members marked down, let in (were joining) and found unreachable; shards
/// allocated and moved; whether it could rebalance, and the most it may move in a round.
/// </summary>
public sealed record CoordinatorRoundResult(
    int MarkedDown, int Promoted, int Unreachable, int Allocated, int Rebalanced, bool MayRebalance, int RebalanceLimit);
