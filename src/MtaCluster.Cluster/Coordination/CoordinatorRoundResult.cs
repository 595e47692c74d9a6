namespace MtaCluster.Cluster.Coordination;

/// <summary>One coordinator round: members marked down and let in, shards allocated and moved, and whether it could rebalance.</summary>
public sealed record CoordinatorRoundResult(int MarkedDown, int Promoted, int Allocated, int Rebalanced, bool MayRebalance, int RebalanceLimit);
