using System.Diagnostics;
using Npgsql;

namespace MtaCluster.Cluster.Coordination;

/// <summary>
/// The coordinator's side of a node's heartbeat. The oldest up member (the oldest joining one while
/// none is up, so a new cluster can start) takes the coordinator lease — a row with owner, epoch and
/// database-clock expiry, the same rules as a shard lease — and, in the same transaction, holding that
/// row locked: marks silent members down, lets joining members up, and allocates shards. Two nodes that
/// both think they are coordinator cannot both decide: the second waits on the row and finds it taken.
/// </summary>
internal sealed class CoordinatorRound
{
    private readonly ClusterMemberOptions _options;
    private readonly ShardAllocator _allocator;
    private readonly List<(int Shard, string Member)> _changes = [];
    private long _epoch;
    private long _believedUntil;

    public CoordinatorRound(ClusterMemberOptions options)
    {
        _options = options;
        _allocator = new ShardAllocator(options.MaxShards, options.RebalanceAbsoluteLimit, options.RebalanceRelativeLimit);
    }

    public bool IsCoordinator => _epoch != 0 && Stopwatch.GetTimestamp() < Volatile.Read(ref _believedUntil);

    public long Epoch => _epoch;

    /// <summary>Runs a round when this node is the one to coordinate; null when it is not (or another node still holds the lease).</summary>
    public async Task<CoordinatorRoundResult?> RunAsync(NpgsqlConnection connection, long startedAt, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await RoundLocks.LimitWaitAsync(connection, transaction, _options.LockTimeout, cancellationToken);
        string? eligible = await EligibleAsync(connection, transaction, cancellationToken);
        if (!string.Equals(eligible, _options.NodeName, StringComparison.Ordinal))
        {
            await ReleaseAsync(connection, transaction, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return null;
        }

        long? epoch = await TakeLeaseAsync(connection, transaction, cancellationToken);
        if (epoch is null)
        {
            await transaction.RollbackAsync(cancellationToken);
            _epoch = 0;
            return null;
        }

        var result = await DecideAsync(connection, transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        _epoch = epoch.Value;
        Volatile.Write(ref _believedUntil, startedAt + (long)(_options.BeliefDuration.TotalSeconds * Stopwatch.Frequency));
        return result;
    }

    /// <summary>Gives the lease up (leaving, or no longer the oldest), so the next coordinator need not wait for it to lapse.</summary>
    public async Task ReleaseAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        if (_epoch == 0) return;
        long epoch = _epoch;
        _epoch = 0;
        await using var command = new NpgsqlCommand(
            "UPDATE cluster_coordinator SET owner = NULL, expires_at = NULL WHERE id = 0 AND owner = $1 AND epoch = $2",
            connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = _options.NodeName });
        command.Parameters.Add(new NpgsqlParameter { Value = epoch });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<string?> EligibleAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            SELECT name FROM nodes
            WHERE state IN ('up', 'joining') AND heartbeat_at > now() - $1
            ORDER BY (state <> 'up'), joined_at, name
            LIMIT 1
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = _options.FailureTimeout });
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    private async Task<long?> TakeLeaseAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            UPDATE cluster_coordinator
            SET owner = $1,
                epoch = CASE WHEN owner = $1 AND epoch = $2 AND expires_at > now() THEN epoch ELSE epoch + 1 END,
                expires_at = now() + $3
            WHERE id = 0
              AND ((owner = $1 AND epoch = $2 AND expires_at > now()) OR owner IS NULL OR expires_at IS NULL OR expires_at <= now())
            RETURNING epoch
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = _options.NodeName });
        command.Parameters.Add(new NpgsqlParameter { Value = _epoch });
        command.Parameters.Add(new NpgsqlParameter { Value = _options.FailureTimeout });
        return await command.ExecuteScalarAsync(cancellationToken) is long epoch ? epoch : null;
    }

    private async Task<CoordinatorRoundResult> DecideAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        CancellationToken cancellationToken)
    {
        int markedDown;
        await using (var down = new NpgsqlCommand("""
            UPDATE nodes SET state = 'down'
            WHERE state IN ('joining', 'up', 'leaving') AND heartbeat_at <= now() - $1
            """, connection, transaction))
        {
            down.Parameters.Add(new NpgsqlParameter { Value = _options.FailureTimeout });
            markedDown = await down.ExecuteNonQueryAsync(cancellationToken);
        }

        var up = new List<string>();
        int joining = 0;
        int unreachable = 0;
        await using (var members = new NpgsqlCommand("""
            SELECT name, state, heartbeat_at > now() - $1 AS reachable FROM nodes WHERE state IN ('joining', 'up', 'leaving')
            """, connection, transaction))
        {
            members.Parameters.Add(new NpgsqlParameter { Value = _options.UnreachableAfter });
            await using var reader = await members.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                string name = reader.GetString(reader.GetOrdinal("name"));
                string state = reader.GetString(reader.GetOrdinal("state"));
                if (!reader.GetBoolean(reader.GetOrdinal("reachable"))) unreachable++;
                if (state == MemberStates.Joining) joining++;
                if (state is MemberStates.Joining or MemberStates.Up) up.Add(name);
            }
        }

        if (joining > 0)
        {
            await using var promote = new NpgsqlCommand("UPDATE nodes SET state = 'up' WHERE state = 'joining'", connection, transaction);
            await promote.ExecuteNonQueryAsync(cancellationToken);
        }

        var allocatedTo = new string?[_options.MaxShards];
        bool settled = true;
        var upSet = new HashSet<string>(up, StringComparer.Ordinal);
        await using (var leases = new NpgsqlCommand("""
            SELECT shard, owner, allocated_to, (owner IS NOT NULL AND expires_at > now()) AS held
            FROM shard_leases WHERE shard < $1
            """, connection, transaction))
        {
            leases.Parameters.Add(new NpgsqlParameter { Value = _options.MaxShards });
            await using var reader = await leases.ExecuteReaderAsync(cancellationToken);
            int shardOrdinal = reader.GetOrdinal("shard");
            int ownerOrdinal = reader.GetOrdinal("owner");
            int allocatedOrdinal = reader.GetOrdinal("allocated_to");
            int heldOrdinal = reader.GetOrdinal("held");
            while (await reader.ReadAsync(cancellationToken))
            {
                int shard = reader.GetInt32(shardOrdinal);
                string? allocated = reader.IsDBNull(allocatedOrdinal) ? null : reader.GetString(allocatedOrdinal);
                string? owner = reader.IsDBNull(ownerOrdinal) ? null : reader.GetString(ownerOrdinal);
                allocatedTo[shard] = allocated;

                // A move not yet finished (the old holder still hands off, or the new one has not taken it yet).
                if (allocated is null || !upSet.Contains(allocated) || !reader.GetBoolean(heldOrdinal) || owner != allocated)
                {
                    settled = false;
                }
            }
        }

        // Rebalance only in a calm cluster: nobody joining or unreachable, nobody just downed, every
        // earlier decision carried out. Otherwise a shard could be moved again before its last move ended.
        bool mayRebalance = joining == 0 && unreachable == 0 && markedDown == 0 && settled;
        _changes.Clear();
        var decision = _allocator.Decide(allocatedTo, up, mayRebalance, _changes);
        if (_changes.Count > 0)
        {
            var shards = new int[_changes.Count];
            var names = new string[_changes.Count];
            for (int i = 0; i < _changes.Count; i++) (shards[i], names[i]) = _changes[i];
            await using var apply = new NpgsqlCommand("""
                WITH c AS (SELECT * FROM unnest($1::integer[], $2::text[]) AS c(shard, member)),
                     moving AS (SELECT l.shard FROM shard_leases AS l JOIN c ON l.shard = c.shard ORDER BY l.shard FOR NO KEY UPDATE OF l)
                UPDATE shard_leases AS l SET allocated_to = c.member
                FROM moving JOIN c ON c.shard = moving.shard
                WHERE l.shard = moving.shard
                """, connection, transaction);
            apply.Parameters.Add(new NpgsqlParameter { Value = shards });
            apply.Parameters.Add(new NpgsqlParameter { Value = names });
            await apply.ExecuteNonQueryAsync(cancellationToken);
        }

        return new CoordinatorRoundResult(markedDown, joining, unreachable, decision.Allocated, decision.Rebalanced, mayRebalance, _allocator.RebalanceLimit);
    }
}
