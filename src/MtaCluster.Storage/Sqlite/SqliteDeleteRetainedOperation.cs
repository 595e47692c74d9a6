namespace MtaCluster.Storage.Sqlite;

/// <summary>Removes finished messages whose retention has run out, oldest first, at most a page at a time.</summary>
internal sealed class SqliteDeleteRetainedOperation(DateTimeOffset now, int limit) : SqliteWriteOperation
{
    public int Deleted { get; private set; }

    public override void Execute(SqliteSpoolWriter writer) =>
        Deleted = writer.ExecuteStatement(SqliteSchema.DeleteRetainedUntil, [("$now", now.ToUnixTimeMilliseconds()), ("$limit", limit)]);
}
