using MtaCluster.Testing;
using Npgsql;

namespace MtaCluster.Cluster.Tests;

/// <summary>
/// How the lease rows' locks meet the spool's fenced writes, which hold FOR KEY SHARE on their shards'
/// rows until they commit: a renewal or a coordinator's decision must not wait for them (a busy shard
/// has one in flight nearly always, and a renewal stuck behind them lost every lease of the node),
/// while a takeover must (it bumps the epoch, so a write that checked the old one commits first).
/// lock_timeout counts only time spent waiting for a lock, so these hold on a machine of any speed.
/// </summary>
public sealed class LeaseLockingTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private const string FencedWriteLock = "SELECT shard, owner, epoch FROM shard_leases WHERE shard = ANY($1) ORDER BY shard FOR KEY SHARE";

    [Fact]
    public async Task A_renewal_and_an_allocation_do_not_wait_for_a_fenced_write_in_flight_but_a_takeover_does()
    {
        string connectionString = await postgres.Server.CreateDatabaseAsync();
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await ClusterSchema.EnsureAsync(dataSource, 4);
        await using (var grant = dataSource.CreateCommand("UPDATE shard_leases SET owner = 'a', epoch = 1, expires_at = now() + interval '10 seconds' WHERE shard = 2"))
        {
            await grant.ExecuteNonQueryAsync();
        }

        // A fenced write of node a, in flight: its transaction holds the lock until it commits.
        await using var writer = await dataSource.OpenConnectionAsync();
        await using var write = await writer.BeginTransactionAsync();
        await using (var fence = new NpgsqlCommand(FencedWriteLock, writer, write))
        {
            fence.Parameters.Add(new NpgsqlParameter { Value = new[] { 2 } });
            await using var reader = await fence.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
        }

        Assert.Equal(1, await WithoutWaitingAsync(dataSource,
            "UPDATE shard_leases AS l SET expires_at = now() + interval '10 seconds' FROM (SELECT shard FROM shard_leases WHERE shard = 2 AND owner = 'a' AND epoch = 1 FOR NO KEY UPDATE) AS m WHERE l.shard = m.shard"));
        Assert.Equal(1, await WithoutWaitingAsync(dataSource, "UPDATE shard_leases SET allocated_to = 'b' WHERE shard = 2"));

        var takeover = await Assert.ThrowsAsync<PostgresException>(() => WithoutWaitingAsync(dataSource,
            "UPDATE shard_leases SET owner = 'b', epoch = epoch + 1, expires_at = now() + interval '10 seconds' WHERE shard = 2"));
        Assert.Equal(PostgresErrorCodes.LockNotAvailable, takeover.SqlState);

        await write.CommitAsync();
        Assert.Equal(1, await WithoutWaitingAsync(dataSource,
            "UPDATE shard_leases SET owner = 'b', epoch = epoch + 1, expires_at = now() + interval '10 seconds' WHERE shard = 2"));
    }

    [Fact]
    public async Task A_member_taking_over_from_a_frozen_member_whose_fenced_write_is_still_open_keeps_its_own_leases_and_takes_that_shard_once_the_write_ends()
    {
        await using var cluster = new ClusterHarness(await postgres.Server.CreateDatabaseAsync());
        var members = await cluster.StartInOrderAsync("n1", "n2");
        await Poll.UntilAsync(() => cluster.SettledAsync(members), TimeSpan.FromSeconds(60), "two members settled");
        var frozen = members[1];
        int locked = frozen.HeldShards()[0];

        // n2's fenced write on one of its shards, open when n2 stops running: the lock stays while the session does.
        await using var dataSource = NpgsqlDataSource.Create(cluster.ConnectionString);
        await using var writer = await dataSource.OpenConnectionAsync();
        await using var write = await writer.BeginTransactionAsync();
        await using (var fence = new NpgsqlCommand(FencedWriteLock, writer, write))
        {
            fence.Parameters.Add(new NpgsqlParameter { Value = new[] { locked } });
            await using var reader = await fence.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
        }
        await frozen.PauseAsync();

        // n1 takes every other shard of n2's and keeps renewing its own, round after round.
        var survivor = members[0];
        await Poll.UntilAsync(() => survivor.HeldShardCount == ClusterHarness.Shards - 1, TimeSpan.FromSeconds(60), "n1 holds every shard but the locked one");
        for (int beat = 0; beat < 20; beat++)
        {
            await Task.Delay(survivor.Options.HeartbeatInterval);
            Assert.Equal(ClusterHarness.Shards - 1, survivor.HeldShardCount);
        }
        Assert.DoesNotContain(cluster.Lost, lost => lost.Member == "n1");
        Assert.False(survivor.TryGetEpoch(locked, out _));

        // The write's session ends (the server's idle-in-transaction timeout, in a node): the shard is taken too.
        await write.RollbackAsync();
        await Poll.UntilAsync(() => survivor.HeldShardCount == ClusterHarness.Shards, TimeSpan.FromSeconds(60), "n1 holds the last shard");
        Assert.DoesNotContain(cluster.Lost, lost => lost.Member == "n1");
        frozen.Resume();
        await Poll.UntilAsync(() => cluster.SettledAsync(members), TimeSpan.FromSeconds(60), "n2 back in the cluster");
        cluster.AssertHistoryHasNoOverlap();
    }

    private static async Task<int> WithoutWaitingAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var timeout = new NpgsqlCommand("SET LOCAL lock_timeout = '1s'", connection, transaction))
        {
            await timeout.ExecuteNonQueryAsync();
        }
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        var rows = await command.ExecuteNonQueryAsync();
        await transaction.CommitAsync();
        return rows;
    }
}
