using Npgsql;

namespace MtaCluster.Cluster;

/// <summary>
/// The cluster's tables: a lease row per shard (<c>shard_leases</c>: the holder, its fencing token
/// <c>epoch</c> and the database-clock expiry, plus the coordinator's decision <c>allocated_to</c>), the
/// members (<c>nodes</c>, with what each publishes in its heartbeat for the admin API — its admin address
/// and running entities — and an operator's request that it leave) and the coordinator's own lease (<c>cluster_coordinator</c>). The spool's fenced
/// writes read <c>shard_leases (owner, epoch)</c> FOR KEY SHARE, so its first four columns are fixed.
/// The unique index on (shard, epoch) makes the epoch a key column: a takeover, which bumps it, takes
/// the row's FOR UPDATE lock and waits for fenced writes in flight, while a renewal or a coordinator's
/// decision (no key column changed) takes FOR NO KEY UPDATE and waits for none of them. With a plain
/// FOR SHARE fence a renewal queued behind a stream of the node's own writes and lost its leases.
/// </summary>
public static class ClusterSchema
{
    /// <summary>Serializes concurrent <see cref="EnsureAsync"/> calls of nodes starting together (an arbitrary, fixed key).</summary>
    internal const long SchemaLockKey = 0x4D54_4143_4C55_5354; // "MTACLUST"

    private const string Ddl = """
        CREATE TABLE IF NOT EXISTS shard_leases (shard integer PRIMARY KEY, owner text, epoch bigint NOT NULL DEFAULT 0, expires_at timestamptz);
        ALTER TABLE shard_leases ADD COLUMN IF NOT EXISTS allocated_to text;
        CREATE UNIQUE INDEX IF NOT EXISTS ux_shard_leases_epoch ON shard_leases (shard, epoch);
        CREATE TABLE IF NOT EXISTS nodes (
            name text PRIMARY KEY,
            state text NOT NULL CHECK (state IN ('joining', 'up', 'leaving', 'down', 'removed')),
            joined_at timestamptz NOT NULL,
            heartbeat_at timestamptz NOT NULL,
            advertised text);
        ALTER TABLE nodes ADD COLUMN IF NOT EXISTS admin_address text;
        ALTER TABLE nodes ADD COLUMN IF NOT EXISTS entities integer;
        ALTER TABLE nodes ADD COLUMN IF NOT EXISTS leave_requested_at timestamptz;
        CREATE TABLE IF NOT EXISTS cluster_coordinator (
            id integer PRIMARY KEY CHECK (id = 0), owner text, epoch bigint NOT NULL DEFAULT 0, expires_at timestamptz);
        """;

    // Read-only: a running cluster's schema is complete, and then nothing below takes a lock a heartbeat waits for.
    private const string CompleteQuery = """
        SELECT to_regclass('nodes') IS NOT NULL AND to_regclass('cluster_coordinator') IS NOT NULL
           AND to_regclass('ux_shard_leases_epoch') IS NOT NULL
           AND EXISTS (SELECT 1 FROM pg_attribute
                       WHERE attrelid = to_regclass('shard_leases') AND attname = 'allocated_to' AND NOT attisdropped)
           AND (SELECT count(*) FROM pg_attribute
                WHERE attrelid = to_regclass('nodes') AND attname IN ('admin_address', 'entities', 'leave_requested_at') AND NOT attisdropped) = 3
        """;

    /// <summary>
    /// Creates what is missing, idempotently, and a lease row for each shard 0..maxShards-1. Refuses a
    /// database laid out for more shards: the shard of an entity is hash mod N, so nodes that disagree
    /// on N would both own the same entity.
    /// </summary>
    public static async Task EnsureAsync(NpgsqlDataSource dataSource, int maxShards, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxShards);

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // CREATE TABLE IF NOT EXISTS is not safe against itself: two sessions can both pass the check and
        // one fails on the catalog's unique index. The advisory lock makes the nodes take turns.
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", connection, transaction))
        {
            lockCommand.Parameters.Add(new NpgsqlParameter { Value = SchemaLockKey });
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        // ALTER TABLE takes an exclusive lock even when the column exists; run while members heartbeat (a node
        // joining a live cluster) it deadlocked with a coordinator round. So DDL runs only when something is missing.
        bool complete;
        await using (var probe = new NpgsqlCommand(CompleteQuery, connection, transaction))
        {
            complete = await probe.ExecuteScalarAsync(cancellationToken) is true;
        }

        if (!complete)
        {
            await using var ddl = new NpgsqlCommand(Ddl, connection, transaction);
            await ddl.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var coordinator = new NpgsqlCommand(
            "INSERT INTO cluster_coordinator (id) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM cluster_coordinator)", connection, transaction))
        {
            await coordinator.ExecuteNonQueryAsync(cancellationToken);
        }

        long count;
        await using (var check = new NpgsqlCommand("SELECT count(*) AS rows, max(shard) AS highest FROM shard_leases", connection, transaction))
        {
            await using var reader = await check.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            count = reader.GetInt64(reader.GetOrdinal("rows"));
            int highestOrdinal = reader.GetOrdinal("highest");
            if (!reader.IsDBNull(highestOrdinal) && reader.GetInt32(highestOrdinal) is var highest && highest >= maxShards)
            {
                throw new InvalidOperationException(
                    $"The cluster database holds leases for {highest + 1} shards, but this node is configured with {maxShards}; every node must use the same shard count.");
            }
        }

        if (count < maxShards)
        {
            await using var rows = new NpgsqlCommand(
                "INSERT INTO shard_leases (shard) SELECT generate_series(0, $1 - 1) ON CONFLICT (shard) DO NOTHING", connection, transaction);
            rows.Parameters.Add(new NpgsqlParameter { Value = maxShards });
            await rows.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }
}
