namespace MtaCluster.Storage.Sqlite;

/// <summary>
/// A rare write (a setting, an operator's suspension) that still goes through the single writer, so
/// it is ordered with the spool's other writes and never contends with them for the file's lock.
/// </summary>
internal sealed class SqliteStatementOperation(string sql, params (string Name, object? Value)[] parameters) : SqliteWriteOperation
{
    public override void Execute(SqliteSpoolWriter writer) => writer.ExecuteStatement(sql, parameters);
}
