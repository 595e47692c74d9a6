namespace MtaCluster.Storage.Sqlite;

/// <summary>
/// One page of <see cref="SqliteCompletionBackfill"/>: the next messages after the stored cursor, in id
/// order, over the primary key's index (no body page is read); each with no pending recipient gets
/// its completion row, filed under the shard computed from its id. The rows and the cursor commit
/// together, and an existing completion is left alone, so a page rerun after a crash changes nothing.
/// </summary>
internal sealed class SqliteCompletionBackfillPageOperation(int pageSize) : SqliteWriteOperation
{
    private const string SelectCursor = "SELECT after FROM completion_backfill";

    private const string SelectPage =
        "SELECT m.id, " +
        "EXISTS (SELECT 1 FROM recipients p WHERE p.message_id = m.id AND p.state = 0), " +
        "(SELECT COUNT(*) FROM recipients f WHERE f.message_id = m.id AND f.state IN (2, 3, 4)) " +
        "FROM messages m WHERE m.id > $after ORDER BY m.id LIMIT $limit";

    private const string InsertCompletion =
        "INSERT INTO message_completions (message_id, shard, completed_at, undelivered) VALUES ($id, $shard, $now, $undelivered) " +
        "ON CONFLICT (message_id) DO NOTHING";

    private const string AdvanceCursor = "UPDATE completion_backfill SET after = $after";

    private const string Drop = "DROP TABLE completion_backfill";

    public override bool RunsAlone => true;

    /// <summary>Messages looked at.</summary>
    public int Visited { get; private set; }

    /// <summary>Completion rows written.</summary>
    public int Completed { get; private set; }

    /// <summary>Whether this page reached the last message (the walk is over and its table gone).</summary>
    public bool Finished { get; private set; }

    public override void Execute(SqliteSpoolWriter writer)
    {
        // Set on every run: a failed transaction is rerun from scratch.
        Visited = 0;
        Completed = 0;
        Finished = false;
        writer.InTransaction(() =>
        {
            // Schedule writes the one row; every id sorts after the empty string.
            var after = writer.QueryRows(SelectCursor, []) is [[string last, ..], ..] ? last : "";
            var page = writer.QueryRows(SelectPage, [("$after", after), ("$limit", pageSize)]);
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            foreach (var row in page)
            {
                var id = (string)row[0]!;
                if (Convert.ToInt64(row[1]) != 0)
                    continue;
                // Without the cluster's shard function, shard 0's owner finishes it (as MarkCompleteIfLast does for such a message).
                var shard = Math.Max(writer.ShardOf(id), 0);
                Completed += writer.ExecuteStatement(InsertCompletion, [("$id", id), ("$shard", shard), ("$now", now), ("$undelivered", Convert.ToInt64(row[2]))]);
            }
            Visited = page.Count;
            if (page.Count < pageSize)
            {
                writer.ExecuteStatement(Drop, []);
                Finished = true;
            }
            else
            {
                writer.ExecuteStatement(AdvanceCursor, [("$after", (string)page[^1][0]!)]);
            }
        });
    }
}
