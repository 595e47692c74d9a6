namespace MtaCluster.Actors.Sharding;

/// <summary>
/// Stop every entity of the shard (with <see cref="ShardingSettings.HandOffStopMessage"/>) while
/// buffering its messages; answered with <see cref="ShardStopped"/> once all have stopped.
/// </summary>
public sealed record HandOff(string ShardId) : IShardRegionCommand;
