using MtaCluster.Actors.Sharding;
using MtaCluster.Storage;

namespace MtaCluster.Node.Spooling;

/// <summary>
/// Refuses to start a node whose <c>Sharding:MaxShards</c> differs from the count the spool was
/// first used with: every recipient row carries its shard, so under another count the domains
/// hash to other shards and the queued mail would sit where no entity looks for it.
/// </summary>
public static class ShardCountCheck
{
    /// <summary>Opens the spool, checks the queued rows against the count, stores it on first start, and returns why the node must not start, or null.</summary>
    public static async Task<string?> RunAsync(IQueueStore store, int configuredShards, CancellationToken cancellationToken = default)
    {
        await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        // The queued rows themselves say which count they were filed under, also in a spool from
        // before the count was stored; they are asked first, so a refused start stores nothing.
        var sample = await store.GetPendingDomainsAsync(null, SampleDomains, cancellationToken).ConfigureAwait(false);
        foreach (var work in sample.Domains)
        {
            if (ShardHash.ShardOf(work.Domain, configuredShards) != work.Shard)
            {
                return $"Sharding:MaxShards is {configuredShards} but queued mail for {work.Domain} is filed under shard {work.Shard}, "
                    + "which another shard count gave it; start with the count this spool's mail was queued under";
            }
        }
        var stored = await store.GetOrStoreShardCountAsync(configuredShards, cancellationToken).ConfigureAwait(false);
        return stored == configuredShards
            ? null
            : $"Sharding:MaxShards is {configuredShards} but this spool was created with {stored}; queued recipients carry their shard, so set it back to {stored}";
    }

    // Enough queued domains to catch a changed count (each has odds of about 1/N to agree by chance), few enough to cost nothing at start.
    private const int SampleDomains = 64;
}
