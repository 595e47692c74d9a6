namespace MtaCluster.Storage.Sqlite;

internal sealed class SqliteEnqueueOperation(SpoolMessage message) : SqliteWriteOperation
{
    public override int MessageCount => 1;

    public override void Execute(SqliteSpoolWriter writer) => writer.InsertMessage(message);
}
