using Microsoft.Data.Sqlite;

namespace MtaCluster.Storage.Sqlite;

/// <summary>
/// Brings a spool file of an earlier schema version up to <see cref="SqliteSchema.Version"/> in
/// place, inside the transaction that then runs <see cref="SqliteSchema.Create"/>. No step may read
/// or rewrite every row: a node with millions of queued recipients must still open its listeners
/// within a second of start.
/// </summary>
internal static class SqliteSchemaMigration
{
    // Version 2 only added tables, which CREATE TABLE IF NOT EXISTS in SqliteSchema.Create makes on
    // any older file. Version 3 adds a column: ADD COLUMN with a constant default only rewrites the
    // table's definition in sqlite_schema; rows stored before read the default until next written
    // (SQLite "ALTER TABLE ... ADD COLUMN"), so the cost does not grow with the queue.
    private static readonly (int Version, string Sql)[] Steps =
    [
        (3, "ALTER TABLE recipients ADD COLUMN local_failures INTEGER NOT NULL DEFAULT 0"),
        // Version 4: new tables come from Create; these columns read their defaults on older rows.
        (4, "ALTER TABLE messages ADD COLUMN shard INTEGER NOT NULL DEFAULT -1"),
        (4, "ALTER TABLE recipients ADD COLUMN delay_notice_at INTEGER"),
        (4, "ALTER TABLE recipients ADD COLUMN last_attempt_at INTEGER"),
        (4, "ALTER TABLE recipients ADD COLUMN remote_mta TEXT"),
        // Version 5, backfill of completions: a message complete before the upgrade to version 4 has no
        // completion row and would never be finished. A version of its own, because files were
        // upgraded to 4 before the backfill existed. Only scheduled here; SqliteCompletionBackfill walks
        // the messages in pages after the start, since one statement over every message would hold up
        // the listeners on a large spool. On a file that needs none, the walk only reads.
        (5, SqliteCompletionBackfill.Schedule),
        // Version 5, lanes and tenants: constant defaults again, so older rows are bulk mail of
        // tenant default. ix_recipients_lane_due is not made here: building it reads every recipient
        // row, so SqliteLaneIndexBuild makes it after the start, and lane reads do without it meanwhile.
        (5, "ALTER TABLE messages ADD COLUMN tenant TEXT NOT NULL DEFAULT 'default'"),
        (5, "ALTER TABLE messages ADD COLUMN lane INTEGER NOT NULL DEFAULT 0"),
        (5, "ALTER TABLE messages ADD COLUMN campaign TEXT"),
        (5, "ALTER TABLE recipients ADD COLUMN lane INTEGER NOT NULL DEFAULT 0"),
        (5, "ALTER TABLE recipients ADD COLUMN tenant TEXT NOT NULL DEFAULT 'default'"),
    ];

    /// <summary>Runs the steps a file at <paramref name="fromVersion"/> lacks; a new file (version 0) gets the whole schema from Create instead.</summary>
    public static async Task ApplyAsync(SqliteConnection connection, int fromVersion, CancellationToken cancellationToken)
    {
        if (fromVersion == 0)
            return;
        foreach (var (version, sql) in Steps)
        {
            if (version <= fromVersion)
                continue;
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
