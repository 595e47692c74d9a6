namespace MtaCluster.Storage.Sqlite;

/// <summary>
/// Marks recipients as told of their delay and queues the notice that tells it, in one transaction;
/// the notice only while one of them is still pending. Deciding that here, in the writer's
/// transaction, is what keeps a notice composed just before the last outcome was committed (or the
/// message was finished) from going out after the message is complete.
/// </summary>
internal sealed class SqliteDelayNoticeOperation(IReadOnlyList<long> recipientIds, DateTimeOffset noticeAt, SpoolMessage? notification) : SqliteWriteOperation
{
    /// <summary>Whether a recipient was still pending, so the notice (if any) was stored.</summary>
    public bool Recorded { get; private set; }

    public override int MessageCount => Recorded && notification is not null ? 1 : 0;

    public override void Execute(SqliteSpoolWriter writer)
    {
        // Set on every run: a batch that is rolled back and rerun without another write runs this again.
        var marked = 0;
        var at = noticeAt.ToUnixTimeMilliseconds();
        foreach (var id in recipientIds)
            marked += writer.ExecuteStatement(SqliteSchema.MarkDelayNotice, [("$id", id), ("$at", at)]);
        Recorded = marked > 0;
        if (Recorded && notification is not null)
            writer.InsertMessage(notification);
    }
}
