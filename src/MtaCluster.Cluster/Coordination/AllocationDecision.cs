namespace MtaCluster.Cluster.Coordination;

/// <summary>What one round decided: homeless shards allocated, and shards moved by rebalancing.</summary>
public readonly record struct AllocationDecision(int Allocated, int Rebalanced);
