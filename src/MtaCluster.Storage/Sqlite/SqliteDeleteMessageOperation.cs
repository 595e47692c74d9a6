namespace MtaCluster.Storage.Sqlite;

internal sealed class SqliteDeleteMessageOperation(string messageId) : SqliteWriteOperation
{
    public override void Execute(SqliteSpoolWriter writer) => writer.DeleteMessage(messageId);
}
