namespace MtaCluster.Storage;

/// <summary>
/// The leases this node holds, as the store needs them to fence its writes: a shard owner's write
/// (recording outcomes, finishing a message, queueing a delay notice, removal) is applied only while
/// the store's lease row for that shard still names this node with the same epoch, checked in the
/// write's own transaction. A lease taken over meanwhile (its epoch bumped) refuses the whole write
/// with <see cref="ShardLeaseLostException"/>. A single node on its own store has no fencing (null).
/// Answers come from memory: the store asks once per write, never blocks on it.
/// </summary>
public interface IShardFencing
{
    /// <summary>This node's name as it appears in the lease rows' <c>owner</c> column.</summary>
    string NodeName { get; }

    /// <summary>The epoch (fencing token) of this node's lease on <paramref name="shard"/>, or false when it holds none.</summary>
    bool TryGetEpoch(int shard, out long epoch);
}
