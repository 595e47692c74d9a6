using MtaCluster.Storage;

namespace MtaCluster.Node.Spooling;

/// <summary>
/// Refuses to start a node whose <c>Sharding:MaxShards</c> differs from the count the spool was
/// first used with: every recipient row carries its shard, so under another count the domains
/// hash to other shards and the queued mail would sit where no entity looks for it.
/// </summary>
public static class ShardCountCheck
{
    /// <summary>Opens the spool, stores the count on first start, and returns why the node must not start, or null.</summary>
    public static async Task<string?> RunAsync(IQueueStore store, int configuredShards, CancellationToken cancellationToken = default)
    {
        await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        var stored = await store.GetOrStoreShardCountAsync(configuredShards, cancellationToken).ConfigureAwait(false);
        return stored == configuredShards
            ? null
            : $"Sharding:MaxShards is {configuredShards} but this spool was created with {stored}; queued recipients carry their shard, so set it back to {stored}";
    }
}
