namespace MtaCluster.Actors.Sharding;

public sealed record BeginHandOffAck(string ShardId);
