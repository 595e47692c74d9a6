using Npgsql;

namespace MtaCluster.Node.Admin;

/// <summary>
/// Reads the members from the cluster's tables: a node silent past the failure timeout shows as
/// unreachable (as scripts/cluster.sh shows it), and its shards are the leases it holds that have
/// not expired. One read of nodes and one pass over shard_leases (a row per shard, a fixed size).
/// Every member's admin address and entity count are what its own heartbeat last wrote.
/// </summary>
public sealed class PostgresClusterStatus(string connectionString, TimeSpan failureTimeout) : IClusterStatusSource, IAsyncDisposable
{
    private const string SelectMembers = """
        SELECT n.name,
               CASE WHEN n.state IN ('joining', 'up', 'leaving') AND n.heartbeat_at < now() - $1 THEN 'unreachable' ELSE n.state END AS state,
               n.joined_at, coalesce(n.advertised, '') AS advertised, n.admin_address, n.entities,
               (SELECT count(*) FROM shard_leases l WHERE l.owner = n.name AND l.expires_at > now()) AS shards
        FROM nodes n WHERE n.state <> 'removed' ORDER BY n.joined_at, n.name
        """;

    private readonly NpgsqlDataSource _dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = 2 }.ConnectionString);

    /// <summary>A member heartbeating within this is alive to the coordinator (its rounds treat it as reachable), so it is not downed.</summary>
    private TimeSpan UnreachableAfter => failureTimeout / 2;

    public async Task<IReadOnlyList<ClusterNodeView>> GetMembersAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(SelectMembers, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = failureTimeout });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var members = new List<ClusterNodeView>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var admin = reader.GetOrdinal("admin_address");
            var entities = reader.GetOrdinal("entities");
            members.Add(new ClusterNodeView(
                reader.GetString(reader.GetOrdinal("name")),
                reader.GetString(reader.GetOrdinal("advertised")),
                reader.GetString(reader.GetOrdinal("state")),
                checked((int)reader.GetInt64(reader.GetOrdinal("shards"))),
                Entities: reader.IsDBNull(entities) ? null : reader.GetInt32(entities),
                new DateTimeOffset(reader.GetDateTime(reader.GetOrdinal("joined_at")), TimeSpan.Zero),
                Self: false,
                AdminAddress: reader.IsDBNull(admin) ? null : reader.GetString(admin)));
        }
        return members;
    }

    public async Task<LeaderView> GetLeaderAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("""
            SELECT c.owner, c.epoch, c.expires_at, coalesce(c.expires_at > now(), false) AS held, n.admin_address
            FROM cluster_coordinator c LEFT JOIN nodes n ON n.name = c.owner
            WHERE c.id = 0
            """, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) return new LeaderView(null, null, 0, null, false);
        var held = reader.GetBoolean(3);
        return new LeaderView(
            held && !reader.IsDBNull(0) ? reader.GetString(0) : null,
            held && !reader.IsDBNull(4) ? reader.GetString(4) : null,
            reader.GetInt64(1),
            reader.IsDBNull(2) ? null : new DateTimeOffset(reader.GetDateTime(2), TimeSpan.Zero),
            held);
    }

    public async Task<IReadOnlyDictionary<int, string>> GetLeaseOwnersAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT shard, owner FROM shard_leases WHERE owner IS NOT NULL AND expires_at > now()", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var owners = new Dictionary<int, string>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) owners[reader.GetInt32(0)] = reader.GetString(1);
        return owners;
    }

    public async Task<MemberRequestOutcome> RequestLeaveAsync(string node, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("""
            UPDATE nodes SET leave_requested_at = coalesce(leave_requested_at, now())
            WHERE name = $1 AND state IN ('joining', 'up', 'leaving')
            RETURNING state, heartbeat_at > now() - $2 AS alive,
                      (SELECT count(*) FROM shard_leases l WHERE l.owner = $1 AND l.expires_at > now()) AS shards
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = node });
        command.Parameters.Add(new NpgsqlParameter { Value = failureTimeout });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            return await NotAMemberAsync(node, cancellationToken).ConfigureAwait(false);
        var state = reader.GetString(0);
        var shards = checked((int)reader.GetInt64(2));
        // The request stands either way; a silent node only acts on it if it comes back.
        return reader.GetBoolean(1)
            ? new MemberRequestOutcome(MemberRequestResult.Done, state, shards)
            : new MemberRequestOutcome(MemberRequestResult.Refused, state, shards,
                $"{node} has not heartbeaten within {failureTimeout.TotalSeconds:0} s, so it cannot hand its shards off; mark it down with 'cluster down {node}'");
    }

    public async Task<MemberRequestOutcome> DownAsync(string node, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        string state;
        bool silent;
        // The row locked for the decision: a heartbeat of the node's arriving meanwhile waits, then finds it down and rejoins afresh.
        await using (var read = new NpgsqlCommand("SELECT state, heartbeat_at <= now() - $2 AS silent FROM nodes WHERE name = $1 FOR UPDATE", connection, transaction))
        {
            read.Parameters.Add(new NpgsqlParameter { Value = node });
            read.Parameters.Add(new NpgsqlParameter { Value = UnreachableAfter });
            await using var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                return new MemberRequestOutcome(MemberRequestResult.NotFound, null, 0, $"no node {node} in the cluster");
            state = reader.GetString(0);
            silent = reader.GetBoolean(1);
        }
        if (state is "down" or "removed")
            return new MemberRequestOutcome(MemberRequestResult.Refused, state, 0, $"{node} is {state} already");
        if (!silent)
            return new MemberRequestOutcome(MemberRequestResult.Refused, state, 0,
                $"{node} is still heartbeating: 'cluster down' is for a node that is gone; to take a running node out, use 'cluster leave {node}' (it hands its shards off first)");

        await using (var down = new NpgsqlCommand("UPDATE nodes SET state = 'down' WHERE name = $1", connection, transaction))
        {
            down.Parameters.Add(new NpgsqlParameter { Value = node });
            await down.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        int lapsed;
        // What the failure timeout would have done: its leases lapse now, so their new owners take them at the next
        // beat. Its late writes, should it still run, carry an epoch the takeover bumps, and the store refuses them.
        await using (var leases = new NpgsqlCommand("""
            WITH mine AS (SELECT shard FROM shard_leases WHERE owner = $1 AND expires_at > now() ORDER BY shard FOR NO KEY UPDATE)
            UPDATE shard_leases AS l SET expires_at = now() FROM mine WHERE l.shard = mine.shard
            """, connection, transaction))
        {
            leases.Parameters.Add(new NpgsqlParameter { Value = node });
            lapsed = await leases.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new MemberRequestOutcome(MemberRequestResult.Done, "down", lapsed);
    }

    private async Task<MemberRequestOutcome> NotAMemberAsync(string node, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT state FROM nodes WHERE name = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = node });
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string state
            ? new MemberRequestOutcome(MemberRequestResult.Refused, state, 0, $"{node} is {state}: it is not a member to leave")
            : new MemberRequestOutcome(MemberRequestResult.NotFound, null, 0, $"no node {node} in the cluster");
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
