namespace MtaCluster.Storage.Sqlite;

internal sealed class SqliteRecordAttemptsOperation(IReadOnlyList<RecipientAttempt> attempts) : SqliteWriteOperation
{
    private List<CompletedMessage>? _completed;

    /// <summary>Messages this write completed (in the committed run of it).</summary>
    public IReadOnlyList<CompletedMessage> Completed => (IReadOnlyList<CompletedMessage>?)_completed ?? [];

    public override void Execute(SqliteSpoolWriter writer)
    {
        // Reset on every run: a batch that is rolled back and rerun without another write runs this again.
        _completed?.Clear();
        for (var i = 0; i < attempts.Count; i++)
        {
            if (writer.UpdateRecipient(attempts[i]) is { } completed)
                (_completed ??= []).Add(completed);
        }
    }
}
