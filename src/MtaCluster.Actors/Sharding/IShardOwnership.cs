namespace MtaCluster.Actors.Sharding;

/// <summary>
/// Who owns a shard. The region asks for every message; a shard it does not own is handed to its
/// <see cref="IShardForwarder"/>. Answers must be fast and must not block (the region may ask while
/// holding a shard's lock).
/// </summary>
public interface IShardOwnership
{
    bool IsLocal(string typeName, string shardId);
}
