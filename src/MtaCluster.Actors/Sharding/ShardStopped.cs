namespace MtaCluster.Actors.Sharding;

public sealed record ShardStopped(string ShardId);
