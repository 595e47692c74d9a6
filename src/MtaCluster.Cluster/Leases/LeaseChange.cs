namespace MtaCluster.Cluster.Leases;

/// <summary>A lease gained (<see cref="Held"/>) or dropped on one node, at a Stopwatch timestamp.</summary>
internal readonly record struct LeaseChange(int Shard, long Epoch, bool Held, long Timestamp);
