namespace MtaCluster.Cluster.Coordination;

/// <summary>
/// The coordinator's decisions for one round, as Akka's <c>LeastShardAllocationStrategy</c> makes them:
/// every homeless shard (allocated to no up member) goes to the up member with the fewest shards; then,
/// only when the cluster is calm, at most <see cref="RebalanceLimit"/> shards move, each from the member
/// with the most to the one with the fewest, while those two differ by more than one.
/// </summary>
internal sealed class ShardAllocator
{
    public ShardAllocator(int maxShards, int absoluteLimit, double relativeLimit)
    {
        RebalanceLimit = Math.Max(1, Math.Min(absoluteLimit, (int)Math.Floor(relativeLimit * maxShards)));
    }

    public int RebalanceLimit { get; }

    /// <summary>
    /// Appends the (shard, member) allocations to change. <paramref name="allocatedTo"/> is indexed by shard
    /// (null or any non-member name means homeless); <paramref name="upMembers"/> are the members that may own shards.
    /// </summary>
    public AllocationDecision Decide(IReadOnlyList<string?> allocatedTo, IReadOnlyList<string> upMembers, bool mayRebalance,
        List<(int Shard, string Member)> changes)
    {
        if (upMembers.Count == 0) return default;

        var shardsOf = new SortedDictionary<string, List<int>>(StringComparer.Ordinal);
        foreach (string member in upMembers) shardsOf[member] = [];

        var homeless = new List<int>();
        for (int shard = 0; shard < allocatedTo.Count; shard++)
        {
            if (allocatedTo[shard] is { } member && shardsOf.TryGetValue(member, out var owned)) owned.Add(shard);
            else homeless.Add(shard);
        }

        foreach (int shard in homeless)
        {
            string least = Least(shardsOf);
            shardsOf[least].Add(shard);
            changes.Add((shard, least));
        }

        // Moving shards while members come and go would move some twice; Akka waits for a calm cluster too.
        if (!mayRebalance || homeless.Count > 0) return new AllocationDecision(homeless.Count, 0);

        var moved = new HashSet<int>();
        int moves = 0;
        while (moves < RebalanceLimit)
        {
            string most = Most(shardsOf);
            string least = Least(shardsOf);
            var from = shardsOf[most];
            if (from.Count - shardsOf[least].Count <= 1) break;

            int index = from.FindLastIndex(shard => !moved.Contains(shard));
            if (index < 0) break;
            int shard = from[index];
            from.RemoveAt(index);
            shardsOf[least].Add(shard);
            moved.Add(shard);
            changes.Add((shard, least));
            moves++;
        }

        return new AllocationDecision(homeless.Count, moves);
    }

    private static string Least(SortedDictionary<string, List<int>> shardsOf)
    {
        string? best = null;
        int bestCount = int.MaxValue;
        foreach (var (member, shards) in shardsOf)
        {
            if (shards.Count < bestCount)
            {
                best = member;
                bestCount = shards.Count;
            }
        }

        return best!;
    }

    private static string Most(SortedDictionary<string, List<int>> shardsOf)
    {
        string? best = null;
        int bestCount = -1;
        foreach (var (member, shards) in shardsOf)
        {
            if (shards.Count > bestCount)
            {
                best = member;
                bestCount = shards.Count;
            }
        }

        return best!;
    }
}
