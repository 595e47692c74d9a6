using MtaCluster.Testing;

namespace MtaCluster.Cluster.Tests;

/// <summary>Several members in this process on one real PostgreSQL database, with a 2 s failure timeout.</summary>
public sealed class ClusterMemberTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Three_members_share_the_shards_evenly_with_exactly_one_owner_each()
    {
        await using var cluster = new ClusterHarness(await postgres.Server.CreateDatabaseAsync());
        var members = await Task.WhenAll(cluster.StartAsync("n1"), cluster.StartAsync("n2"), cluster.StartAsync("n3"));

        await Poll.UntilAsync(() => cluster.SettledAsync(members), Patience, "three members settled");

        Assert.Equal(ClusterHarness.Shards, members.Sum(member => member.HeldShardCount));
        Assert.All(members, member => Assert.InRange(member.HeldShardCount, 21, 22));
        Assert.All(members, member => Assert.Equal(MemberState.Up, member.State));
        Assert.Single(members, member => member.IsCoordinator);
        Assert.Equal("""{"relay_port":0,"name":"n2"}""", await cluster.ScalarAsync("SELECT advertised FROM nodes WHERE name = 'n2'"));
        foreach (var row in await cluster.SnapshotAsync())
        {
            string shardId = row.Shard.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var owner = Assert.Single(members, member => member.Ownership.IsLocal("domain", shardId));
            Assert.Equal(row.Owner, owner.NodeName);
            Assert.True(owner.Fencing.TryGetEpoch(row.Shard, out long epoch));
            Assert.Equal(row.Epoch, epoch);
            Assert.Equal(owner.NodeName, owner.Fencing.NodeName);
        }

        Assert.Equal("3", await cluster.ScalarAsync("SELECT count(*) FROM nodes WHERE state = 'up'"));
        // Members that join a little later are rebalanced in, so some shards were taken more than once:
        // every take bumped the epoch by one, and each was announced with the epoch it took.
        var rows = await cluster.SnapshotAsync();
        await Poll.UntilAsync(() => cluster.Acquired.Count == rows.Sum(row => row.Epoch), Patience, "every take announced");
        var takes = cluster.Acquired.ToList();
        Assert.All(rows, row => Assert.Equal(row.Epoch, takes.Count(take => take.Shard == row.Shard)));
        Assert.All(rows, row => Assert.Contains((row.Owner!, row.Shard, row.Epoch), takes));
        cluster.AssertHistoryHasNoOverlap();
    }

    [Fact]
    public async Task A_fourth_member_is_rebalanced_in_by_at_most_the_limit_per_round_and_no_shard_is_held_twice()
    {
        await using var cluster = new ClusterHarness(await postgres.Server.CreateDatabaseAsync());
        var members = await cluster.StartInOrderAsync("n1", "n2", "n3");
        await Poll.UntilAsync(() => cluster.SettledAsync(members), Patience, "three members settled");
        cluster.Rounds.Clear();

        members.Add(await cluster.StartAsync("n4"));
        await Poll.UntilAsync(() => cluster.SettledAsync(members), Patience, "four members settled");

        Assert.All(members, member => Assert.Equal(16, member.HeldShardCount));
        var rounds = cluster.Rounds.ToList();
        int limit = rounds[0].RebalanceLimit;
        Assert.Equal(6, limit);
        Assert.All(rounds, round => Assert.InRange(round.Rebalanced, 0, limit));
        Assert.All(rounds.Where(round => round.Promoted > 0), round => Assert.Equal(0, round.Rebalanced));
        Assert.Equal(16, rounds.Sum(round => round.Rebalanced));
        Assert.True(rounds.Count(round => round.Rebalanced > 0) >= 3, "16 moves at 6 a round take at least three rounds");
        cluster.AssertHistoryHasNoOverlap();
    }

    [Fact]
    public async Task A_member_that_falls_silent_loses_its_shards_and_its_old_epochs_are_fenced()
    {
        await using var cluster = new ClusterHarness(await postgres.Server.CreateDatabaseAsync());
        var members = await cluster.StartInOrderAsync("n1", "n2", "n3");
        await Poll.UntilAsync(() => cluster.SettledAsync(members), Patience, "three members settled");
        var silent = members[2];
        var held = silent.HeldShards().Select(shard => (Shard: shard, Epoch: Epoch(silent, shard))).ToList();
        Assert.NotEmpty(held);

        await silent.PauseAsync();
        var others = members.Take(2).ToList();
        await Poll.UntilAsync(() => cluster.SettledAsync(others), Patience, "the others own every shard");

        Assert.Equal("down", await cluster.ScalarAsync("SELECT state FROM nodes WHERE name = 'n3'"));
        foreach (var (shard, epoch) in held)
        {
            Assert.Equal(0, await cluster.ExecuteAsync(
                "UPDATE shard_leases SET expires_at = expires_at WHERE shard = $1 AND owner = 'n3' AND epoch = $2", shard, epoch));
        }

        silent.Resume();
        await Poll.UntilAsync(() => held.All(lease => cluster.Lost.Contains(("n3", lease.Shard))), Patience, "n3 told of each lost shard");
        await Poll.UntilAsync(() => cluster.SettledAsync(members), Patience, "n3 back in the cluster");

        Assert.All(held, lease => Assert.True(!silent.TryGetEpoch(lease.Shard, out long now) || now > lease.Epoch));
        var rows = await cluster.SnapshotAsync();
        Assert.All(held, lease => Assert.True(rows[lease.Shard].Epoch > lease.Epoch));
        cluster.AssertHistoryHasNoOverlap();
    }

    [Fact]
    public async Task When_the_coordinator_dies_the_next_oldest_member_coordinates()
    {
        await using var cluster = new ClusterHarness(await postgres.Server.CreateDatabaseAsync());
        var members = await cluster.StartInOrderAsync("n1", "n2", "n3");
        await Poll.UntilAsync(() => cluster.SettledAsync(members), Patience, "three members settled");
        Assert.True(members[0].IsCoordinator);

        await members[0].DisposeAsync();
        var survivors = members.Skip(1).ToList();
        await Poll.UntilAsync(() => members[1].IsCoordinator, Patience, "n2 coordinating");
        await Poll.UntilAsync(() => cluster.SettledAsync(survivors), Patience, "the survivors own every shard");

        Assert.False(members[2].IsCoordinator);
        Assert.Equal("n2", await cluster.ScalarAsync("SELECT owner FROM cluster_coordinator"));
        Assert.Equal("down", await cluster.ScalarAsync("SELECT state FROM nodes WHERE name = 'n1'"));
        cluster.AssertHistoryHasNoOverlap();
    }

    [Fact]
    public async Task A_graceful_leave_of_the_coordinator_hands_every_shard_to_the_others()
    {
        await using var cluster = new ClusterHarness(await postgres.Server.CreateDatabaseAsync());
        var members = await cluster.StartInOrderAsync("n1", "n2", "n3");
        await Poll.UntilAsync(() => cluster.SettledAsync(members), Patience, "three members settled");
        var leaver = members[0];
        Assert.True(leaver.IsCoordinator);

        var leave = leaver.LeaveAsync(TimeSpan.FromSeconds(60));
        while (!leave.IsCompleted)
        {
            cluster.AssertNoShardHeldTwice();
            await Task.WhenAny(leave, Task.Delay(20));
        }

        Assert.True(await leave);
        Assert.Equal(MemberState.Removed, leaver.State);
        Assert.Equal(0, leaver.HeldShardCount);
        Assert.False(leaver.IsCoordinator);
        Assert.Empty(cluster.Lost);
        var stayers = members.Skip(1).ToList();
        await Poll.UntilAsync(() => cluster.SettledAsync(stayers), Patience, "the others own every shard");
        Assert.All(stayers, member => Assert.Equal(32, member.HeldShardCount));
        Assert.Equal("removed", await cluster.ScalarAsync("SELECT state FROM nodes WHERE name = 'n1'"));
        Assert.True(members[1].IsCoordinator);
        cluster.AssertHistoryHasNoOverlap();
    }

    [Fact]
    public async Task No_rebalance_while_a_member_is_unreachable_its_shards_move_once_it_is_down()
    {
        // A longer failure timeout: a member is unreachable after 3 s of silence and down after 6 s.
        await using var cluster = new ClusterHarness(await postgres.Server.CreateDatabaseAsync(), TimeSpan.FromSeconds(6));
        var members = await cluster.StartInOrderAsync("n1", "n2");
        await Poll.UntilAsync(() => cluster.SettledAsync(members), Patience, "two members settled");
        await members[1].PauseAsync();
        await Poll.UntilAsync(() => cluster.Rounds.Any(round => round.Unreachable > 0), Patience, "n2 unreachable");
        cluster.Rounds.Clear();

        var joiner = await cluster.StartAsync("n3");
        await Poll.UntilAsync(() => joiner.State == MemberState.Up, Patience, "n3 up");
        var stayers = new List<ClusterMember> { members[0], joiner };
        await Poll.UntilAsync(() => cluster.SettledAsync(stayers), Patience, "n1 and n3 own every shard");

        var rounds = cluster.Rounds.ToList();
        int promoted = rounds.FindIndex(round => round.Promoted > 0);
        Assert.Contains(rounds.Skip(promoted + 1), round => round.Unreachable > 0);
        Assert.All(rounds.Where(round => round.Unreachable > 0), round => Assert.False(round.MayRebalance));
        Assert.All(rounds.Where(round => round.Unreachable > 0), round => Assert.Equal(0, round.Rebalanced));
        Assert.Equal(32, rounds.Sum(round => round.Allocated));
        Assert.All(stayers, member => Assert.Equal(32, member.HeldShardCount));

        // Thawed, n2 drops what it no longer believes in, closing its intervals in the history at their deadlines.
        members[1].Resume();
        await Poll.UntilAsync(() => cluster.Lost.Count(lost => lost.Member == "n2") == 32, Patience, "n2 told of its lost shards");
        cluster.AssertHistoryHasNoOverlap();
    }

    [Fact]
    public async Task The_last_member_leaving_hands_its_own_shards_off_and_releases_them()
    {
        await using var cluster = new ClusterHarness(await postgres.Server.CreateDatabaseAsync());
        var members = await cluster.StartInOrderAsync("alone");
        await Poll.UntilAsync(() => cluster.SettledAsync(members), Patience, "one member settled");

        Assert.True(await members[0].LeaveAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal(MemberState.Removed, members[0].State);
        Assert.Equal(0, members[0].HeldShardCount);
        Assert.Empty(cluster.Lost);
        Assert.Equal("removed", await cluster.ScalarAsync("SELECT state FROM nodes WHERE name = 'alone'"));
        // Released after its entities stopped: a node started later takes them at once.
        Assert.Equal("0", await cluster.ScalarAsync("SELECT count(*) FROM shard_leases WHERE owner IS NOT NULL"));
    }

    [Fact]
    public async Task A_leave_is_not_over_while_a_lease_it_handed_off_is_still_being_cleared()
    {
        // A failure timeout long enough that the held row lock below does not time the release out.
        await using var cluster = new ClusterHarness(await postgres.Server.CreateDatabaseAsync(), failureTimeout: TimeSpan.FromSeconds(15));
        var members = await cluster.StartInOrderAsync("alone");
        await Poll.UntilAsync(() => cluster.SettledAsync(members), Patience, "one member settled");

        // Clearing shard 0's lease waits for an advisory lock another session holds; the leases' renewals,
        // which the hand-offs wait on, do not.
        await cluster.ExecuteAsync("""
            CREATE FUNCTION hold_release() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.owner IS NULL AND OLD.shard = 0 THEN
                    PERFORM pg_advisory_xact_lock(4242);
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER hold_release BEFORE UPDATE ON shard_leases FOR EACH ROW EXECUTE FUNCTION hold_release();
            """);
        await using var blocker = new Npgsql.NpgsqlConnection(cluster.ConnectionString);
        await blocker.OpenAsync();
        await using (var hold = new Npgsql.NpgsqlCommand("SELECT pg_advisory_lock(4242)", blocker))
            await hold.ExecuteNonQueryAsync();

        var leave = members[0].LeaveAsync(TimeSpan.FromSeconds(60));
        await Poll.UntilAsync(async () => members[0].HeldShardCount == 0 && await cluster.ScalarAsync(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE shard_leases SET owner = NULL%'") == "1",
            Patience, "every shard out of the view, shard 0's release waiting for the row");
        // Given time to finish if it would, the leave must still be waiting: the node is not gone yet.
        await Task.WhenAny(leave, Task.Delay(TimeSpan.FromSeconds(2)));
        Assert.False(leave.IsCompleted, "the leave ended while a lease was still being cleared");
        Assert.NotEqual("removed", await cluster.ScalarAsync("SELECT state FROM nodes WHERE name = 'alone'"));

        await using (var let = new Npgsql.NpgsqlCommand("SELECT pg_advisory_unlock(4242)", blocker))
            await let.ExecuteNonQueryAsync();
        Assert.True(await leave);
        Assert.Equal("0", await cluster.ScalarAsync("SELECT count(*) FROM shard_leases WHERE owner IS NOT NULL"));
    }

    [Fact]
    public async Task A_leave_whose_hand_offs_never_finish_times_out_drops_its_shards_and_leaves_them_to_lapse()
    {
        await using var cluster = new ClusterHarness(await postgres.Server.CreateDatabaseAsync(), releaseOnHandOff: false);
        var members = await cluster.StartInOrderAsync("stuck");
        await Poll.UntilAsync(() => cluster.SettledAsync(members), Patience, "one member settled");

        Assert.False(await members[0].LeaveAsync(TimeSpan.FromSeconds(1)));

        Assert.Equal(MemberState.Removed, members[0].State);
        Assert.Equal(0, members[0].HeldShardCount);
        await Poll.UntilAsync(() => cluster.Lost.Count == ClusterHarness.Shards, Patience, "every shard reported lost");
        Assert.Equal("removed", await cluster.ScalarAsync("SELECT state FROM nodes WHERE name = 'stuck'"));

        // Not released: the leases lapse by themselves, so nobody takes a shard this node might still act on.
        Assert.Equal(ClusterHarness.Shards.ToString(), await cluster.ScalarAsync("SELECT count(*) FROM shard_leases WHERE owner = 'stuck'"));
    }

    private static long Epoch(ClusterMember member, int shard)
    {
        Assert.True(member.TryGetEpoch(shard, out long epoch));
        return epoch;
    }
}
