namespace MtaCluster.Actors.Sharding;

/// <summary>A shard and its running entities.</summary>
public sealed record ShardState(string ShardId, IReadOnlyList<string> EntityIds);
