namespace MtaCluster.Storage.Sqlite;

/// <summary>
/// Builds <see cref="SqliteSchema.LaneIndex"/> in one transaction of its own. SQLite builds an index
/// in one statement with no way to do it a page at a time, so the writes queued meanwhile (accepts,
/// outcomes) wait for it once; reads go on beside it on their own connections (WAL).
/// </summary>
internal sealed class SqliteLaneIndexBuildOperation : SqliteWriteOperation
{
    public override bool RunsAlone => true;

    public override void Execute(SqliteSpoolWriter writer) =>
        writer.InTransaction(() => writer.ExecuteStatement(SqliteSchema.CreateLaneIndex, []));
}
