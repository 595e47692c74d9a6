namespace MtaCluster.Storage.Sqlite;

/// <summary>Marks recipients as told of their delay and queues the notice that tells it, in one transaction.</summary>
internal sealed class SqliteDelayNoticeOperation(IReadOnlyList<long> recipientIds, DateTimeOffset noticeAt, SpoolMessage? notification) : SqliteWriteOperation
{
    public override int MessageCount => notification is null ? 0 : 1;

    public override void Execute(SqliteSpoolWriter writer)
    {
        var at = noticeAt.ToUnixTimeMilliseconds();
        foreach (var id in recipientIds)
            writer.ExecuteStatement(SqliteSchema.MarkDelayNotice, [("$id", id), ("$at", at)]);
        if (notification is not null)
            writer.InsertMessage(notification);
    }
}
