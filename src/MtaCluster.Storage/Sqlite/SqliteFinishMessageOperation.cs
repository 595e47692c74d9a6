namespace MtaCluster.Storage.Sqlite;

/// <summary>
/// Queues a complete message's notifications and removes (or retains) the message in one transaction.
/// Only a message still marked complete and not yet finished is finished, so repeating the call after
/// a crash, or from a second owner, can never queue a notification twice.
/// </summary>
internal sealed class SqliteFinishMessageOperation(string messageId, IReadOnlyList<SpoolMessage> notifications, DateTimeOffset? retainUntil)
    : SqliteWriteOperation
{
    /// <summary>Whether this call finished the message (false: it was not complete, or already finished).</summary>
    public bool Finished { get; private set; }

    public override int MessageCount => Finished ? notifications.Count : 0;

    public override void Execute(SqliteSpoolWriter writer)
    {
        // Set on every run: a batch that is rolled back and rerun without another write runs this again.
        Finished = writer.IsCompleteAndUnfinished(messageId);
        if (!Finished)
            return;
        foreach (var notification in notifications)
            writer.InsertMessage(notification);
        if (retainUntil is { } until)
            writer.ExecuteStatement(SqliteSchema.RetainCompleted, [("$id", messageId), ("$until", until.ToUnixTimeMilliseconds())]);
        else
            writer.DeleteMessage(messageId);
    }
}
