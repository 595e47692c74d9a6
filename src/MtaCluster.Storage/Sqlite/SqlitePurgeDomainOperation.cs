using MtaCluster.Mail;
namespace MtaCluster.Storage.Sqlite;

/// <summary>
/// Part of an operator's purge of a domain's pending recipients: at most <paramref name="limit"/> of
/// them, so the single writer, and every message waiting to be spooled behind it, is held for a few
/// milliseconds at a time however long the queue. In the writer's transaction, so an outcome recorded
/// for one of them either comes first (the row is final and stays) or finds no row.
/// </summary>
internal sealed class SqlitePurgeDomainOperation(string domain, DateTimeOffset now, int limit) : SqliteWriteOperation
{
    public DomainPurge Result { get; private set; } = null!;

    public override void Execute(SqliteSpoolWriter writer)
    {
        // Everything is computed afresh: a batch rolled back and rerun runs this again.
        var purged = new List<PurgedRecipient>();
        foreach (var row in writer.QueryRows(SqliteSchema.PurgeDomainPart, [("$domain", domain), ("$limit", limit)]))
            purged.Add(new PurgedRecipient((long)row[0]!, (string)row[1]!, (string)row[2]!, (int)(long)row[3]!,
                DateTimeOffset.FromUnixTimeMilliseconds((long)row[4]!), (DeliveryLane)(long)row[5]!, (string)row[6]!));
        var removed = 0;
        var completed = new List<CompletedMessage>();
        foreach (var messageId in purged.Select(p => p.MessageId).Distinct(StringComparer.Ordinal))
        {
            if (writer.ExecuteStatement(SqliteSchema.DeleteMessageWithoutRecipients, [("$id", messageId)]) > 0)
            {
                removed++;
                continue;
            }
            // Its other recipients may all be final now: the message is complete, and its owner finishes it.
            if (writer.MarkCompleteIfDone(messageId, now) is { } done)
            {
                if (done.Removed) removed++;
                else completed.Add(done);
            }
        }
        Result = new DomainPurge(domain, purged, removed, completed);
    }
}
