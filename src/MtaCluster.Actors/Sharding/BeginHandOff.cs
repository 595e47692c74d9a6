namespace MtaCluster.Actors.Sharding;

/// <summary>Stop delivering to the shard and buffer its messages; answered with <see cref="BeginHandOffAck"/>.</summary>
public sealed record BeginHandOff(string ShardId) : IShardRegionCommand;
