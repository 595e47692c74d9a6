using MtaCluster.Cluster.Coordination;

namespace MtaCluster.Cluster.Tests;

public sealed class ShardAllocatorTests
{
    [Fact]
    public void Homeless_shards_go_least_shards_first_and_end_even()
    {
        var allocator = new ShardAllocator(1024, 20, 0.1);
        var allocatedTo = new string?[1024];
        var changes = new List<(int Shard, string Member)>();

        var decision = allocator.Decide(allocatedTo, ["a", "b", "c"], mayRebalance: true, changes);

        Assert.Equal(1024, decision.Allocated);
        Assert.Equal(0, decision.Rebalanced);
        var counts = changes.GroupBy(change => change.Member).Select(group => group.Count()).ToList();
        Assert.Equal(3, counts.Count);
        Assert.True(counts.Max() - counts.Min() <= 1);
    }

    [Fact]
    public void Shards_of_a_member_that_is_not_up_are_homeless_and_go_to_the_members_with_fewest()
    {
        var allocator = new ShardAllocator(9, 20, 1.0);
        string?[] allocatedTo = ["a", "a", "a", "b", "b", "gone", "gone", "gone", null];
        var changes = new List<(int Shard, string Member)>();

        var decision = allocator.Decide(allocatedTo, ["a", "b"], mayRebalance: true, changes);

        Assert.Equal(4, decision.Allocated);
        Assert.Equal([(5, "b"), (6, "a"), (7, "b"), (8, "a")], changes);
    }

    [Fact]
    public void A_rebalance_moves_at_most_the_limit_per_round_and_stops_when_max_and_min_differ_by_one()
    {
        // 64 shards: min(20, 10% of 64) = 6 moves a round.
        var allocator = new ShardAllocator(64, 20, 0.1);
        Assert.Equal(6, allocator.RebalanceLimit);
        var allocatedTo = Enumerable.Range(0, 64).Select(shard => (string?)(shard % 3 == 0 ? "a" : shard % 3 == 1 ? "b" : "c")).ToArray();
        string[] members = ["a", "b", "c", "d"];

        var perRound = new List<int>();
        while (true)
        {
            var changes = new List<(int Shard, string Member)>();
            var decision = allocator.Decide(allocatedTo, members, mayRebalance: true, changes);
            if (decision.Rebalanced == 0) break;
            Assert.Equal(decision.Rebalanced, changes.Count);
            Assert.Equal(changes.Count, changes.Select(change => change.Shard).Distinct().Count());
            foreach (var (shard, member) in changes) allocatedTo[shard] = member;
            perRound.Add(decision.Rebalanced);
        }

        Assert.All(perRound, moves => Assert.InRange(moves, 1, 6));
        Assert.Equal(16, perRound.Sum());
        var counts = allocatedTo.GroupBy(member => member).Select(group => group.Count()).ToList();
        Assert.Equal([16, 16, 16, 16], counts);
    }

    [Fact]
    public void No_rebalance_when_the_round_may_not_rebalance()
    {
        var allocator = new ShardAllocator(64, 20, 0.1);
        var allocatedTo = Enumerable.Repeat((string?)"a", 64).ToArray();
        var changes = new List<(int Shard, string Member)>();

        var decision = allocator.Decide(allocatedTo, ["a", "b"], mayRebalance: false, changes);

        Assert.Equal(default, decision);
        Assert.Empty(changes);
    }

    [Fact]
    public void The_limit_is_the_smaller_of_the_absolute_and_relative_limits_and_at_least_one()
    {
        Assert.Equal(20, new ShardAllocator(1024, 20, 0.1).RebalanceLimit);
        Assert.Equal(5, new ShardAllocator(1024, 5, 0.1).RebalanceLimit);
        Assert.Equal(1, new ShardAllocator(4, 20, 0.1).RebalanceLimit);
    }
}
