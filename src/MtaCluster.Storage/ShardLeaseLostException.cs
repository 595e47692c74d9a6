namespace MtaCluster.Storage;

/// <summary>
/// A fenced write was refused because this node no longer holds the lease (with the epoch it
/// wrote under) for some of the shards it touched. Nothing of the write was applied; the caller
/// stops those shards' entities, since another node owns them now.
/// </summary>
public sealed class ShardLeaseLostException : Exception
{
    public ShardLeaseLostException(IReadOnlyCollection<int> shards)
        : base($"The lease on shard(s) {string.Join(", ", shards.Order())} is held by another node or epoch; the write was refused.")
    {
        Shards = shards;
    }

    public IReadOnlyCollection<int> Shards { get; }
}
