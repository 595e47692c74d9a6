namespace MtaCluster.Storage.Sqlite;

/// <summary>
/// A PASSIVE checkpoint on the writer's connection: copies what readers no longer need from the log
/// into the file without waiting for any of them. When it copies every frame, SQLite also truncates
/// the file to the database's size, which is when pages handed back by a vacuum leave the disk.
/// </summary>
internal sealed class SqliteCheckpointOperation : SqliteWriteOperation
{
    public override bool RunsAlone => true;

    /// <summary>Whether every frame of the log is in the file (nothing left for a later checkpoint).</summary>
    public bool Complete { get; private set; }

    public override void Execute(SqliteSpoolWriter writer)
    {
        // One row: busy (0 or 1), frames in the log, frames checkpointed (-1 when not in WAL mode).
        var row = writer.QueryRow("PRAGMA wal_checkpoint(PASSIVE)");
        Complete = row.Length == 3 && Convert.ToInt64(row[0]) == 0 && Equals(Convert.ToInt64(row[1]), Convert.ToInt64(row[2]));
    }
}
