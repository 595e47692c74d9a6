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
        // A transaction's recipients mostly share one message: its completion is checked once, after all
        // of them are written, rather than once per final recipient.
        Dictionary<string, DateTimeOffset>? finalByMessage = null;
        for (var i = 0; i < attempts.Count; i++)
        {
            var attempt = attempts[i];
            if (writer.UpdateRecipient(attempt) is not { } messageId || attempt.State == RecipientState.Pending)
                continue;
            var at = attempt.AttemptedAt ?? DateTimeOffset.UtcNow;
            finalByMessage ??= new(StringComparer.Ordinal);
            if (!finalByMessage.TryGetValue(messageId, out var latest) || at > latest)
                finalByMessage[messageId] = at;
        }
        if (finalByMessage is null)
            return;
        foreach (var (messageId, at) in finalByMessage)
        {
            if (writer.MarkCompleteIfDone(messageId, at) is { } completed)
                (_completed ??= []).Add(completed);
        }
    }
}
