namespace MtaCluster.Storage.Sqlite;

internal sealed class SqliteRecordAttemptsOperation(IReadOnlyList<RecipientAttempt> attempts) : SqliteWriteOperation
{
    public override void Execute(SqliteSpoolWriter writer)
    {
        for (var i = 0; i < attempts.Count; i++)
            writer.UpdateRecipient(attempts[i]);
    }
}
