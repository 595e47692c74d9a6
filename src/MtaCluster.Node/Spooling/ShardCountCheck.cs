using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MtaCluster.Delivery.Domains;
using MtaCluster.Storage;

namespace MtaCluster.Node.Spooling;

/// <summary>
/// Refuses to start a node whose <c>Sharding:MaxShards</c> differs from the count the spool was
/// first used with: every recipient row carries its shard, so under another count the domains
/// hash to other shards and the queued mail would sit where no entity looks for it. The same holds
/// for the domains listed under domains.yaml's mx-patterns, which are placed by their group's key:
/// the spool keeps the fingerprint of the list its rows were filed under. A changed list re-files
/// the queued rows of the domains it moves, unless other nodes run, which place by the old list.
/// </summary>
public static class ShardCountCheck
{
    /// <summary>Opens the spool, checks the queued rows against the count, stores it on first start, and returns why the node must not start, or null.</summary>
    public static Task<string?> RunAsync(IQueueStore store, int configuredShards, CancellationToken cancellationToken = default) =>
        RunAsync(store, DomainPlacement.ByName(configuredShards), otherLiveNodes: null, logger: null, cancellationToken);

    /// <summary>
    /// As <see cref="RunAsync(IQueueStore, int, CancellationToken)"/>, and brings the queued rows under
    /// <paramref name="placement"/> when the spool's stored placement differs: refused while
    /// <paramref name="otherLiveNodes"/> names a running node (a cluster), re-filed otherwise.
    /// </summary>
    /// <param name="otherLiveNodes">The other nodes running on this spool now; null for a spool only this node uses.</param>
    public static async Task<string?> RunAsync(IQueueStore store, DomainPlacement placement,
        Func<CancellationToken, Task<IReadOnlyList<string>>>? otherLiveNodes, ILogger? logger, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(placement);
        logger ??= NullLogger.Instance;
        var configuredShards = placement.MaxShards;
        await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        // A spool from before placements were stored placed every domain by its own name.
        var storedPlacement = await store.GetPlacementAsync(cancellationToken).ConfigureAwait(false) ?? DomainPlacement.ByNameFingerprint;
        var samePlacement = storedPlacement == placement.Fingerprint;
        if (samePlacement)
        {
            // The queued rows themselves say which count they were filed under, also in a spool from
            // before the count was stored; they are asked first, so a refused start stores nothing.
            // (Under a changed placement the listed domains' rows disagree by design; the stored count decides then.)
            var sample = await store.GetPendingDomainsAsync(null, SampleDomains, cancellationToken).ConfigureAwait(false);
            foreach (var work in sample.Domains)
            {
                if (placement.ShardOf(work.Domain) != work.Shard)
                {
                    return $"Sharding:MaxShards is {configuredShards} but queued mail for {work.Domain} is filed under shard {work.Shard}, "
                        + "which another shard count gave it; start with the count this spool's mail was queued under";
                }
            }
        }
        var stored = await store.GetOrStoreShardCountAsync(configuredShards, cancellationToken).ConfigureAwait(false);
        if (stored != configuredShards)
        {
            return $"Sharding:MaxShards is {configuredShards} but this spool was created with {stored}; queued recipients carry their shard, so set it back to {stored}";
        }
        if (samePlacement) return null;

        if (otherLiveNodes is not null)
        {
            var others = await otherLiveNodes(cancellationToken).ConfigureAwait(false);
            if (others.Count > 0)
            {
                return $"domains.yaml mx-patterns list other domains (placement {Short(placement.Fingerprint)}) than the running nodes "
                    + $"{string.Join(", ", others)} place by ({Short(storedPlacement)}); every node must list the same domains: "
                    + "start this node with their domains.yaml, or stop every node and start them with the new one";
            }
        }

        var (domains, rows) = await RefileAsync(store, placement, cancellationToken).ConfigureAwait(false);
        // Stored last: a start that fails while re-filing re-files again next time (each domain's move is one statement).
        await store.StorePlacementAsync(placement.Fingerprint, cancellationToken).ConfigureAwait(false);
        logger.LogInformation("domain placement changed ({Before} -> {After}, {Listed} domains listed under mx-patterns): re-filed {Rows} queued recipients of {Domains} domains",
            Short(storedPlacement), Short(placement.Fingerprint), placement.Listed.Count, rows, domains);
        return null;
    }

    /// <summary>Moves the pending rows of every domain filed under another shard than its placement gives, page by page.</summary>
    private static async Task<(int Domains, int Rows)> RefileAsync(IQueueStore store, DomainPlacement placement, CancellationToken cancellationToken)
    {
        var domains = 0;
        var rows = 0;
        string? after = null;
        do
        {
            var page = await store.GetPendingDomainsAsync(after, RefilePageSize, cancellationToken).ConfigureAwait(false);
            foreach (var work in page.Domains)
            {
                var shard = placement.ShardOf(work.Domain);
                if (shard == work.Shard) continue;
                rows += await store.RefileDomainAsync(work.Domain, shard, cancellationToken).ConfigureAwait(false);
                domains++;
            }
            after = page.Next;
        } while (after is not null);
        return (domains, rows);
    }

    private static string Short(string fingerprint) => fingerprint.Length > 19 ? fingerprint[..19] : fingerprint;

    // Enough queued domains to catch a changed count (each has odds of about 1/N to agree by chance), few enough to cost nothing at start.
    private const int SampleDomains = 64;

    private const int RefilePageSize = 1000;
}
