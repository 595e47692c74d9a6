namespace MtaCluster.Storage.Sqlite;

/// <summary>One caller's write, waiting for the SQLite writer.</summary>
internal abstract class SqliteWriteOperation : PendingWrite
{
    /// <summary>Messages this write stores (for the counters).</summary>
    public virtual int MessageCount => 0;

    /// <summary>
    /// Upkeep (an incremental vacuum step, a checkpoint) that must not share a callers' group commit:
    /// the writer commits what it has gathered before it and runs it in a transaction of its own, so
    /// a commit waits for at most one small step, never for upkeep inside its own transaction.
    /// </summary>
    public virtual bool RunsAlone => false;

    /// <summary>Runs the write inside the writer's open transaction (outside any, when it <see cref="RunsAlone"/>).</summary>
    public abstract void Execute(SqliteSpoolWriter writer);
}
