using Microsoft.Data.Sqlite;
using MtaCluster.Mail;

namespace MtaCluster.Storage.Sqlite;

internal enum OperatorActionKind { Bounce, Retry, Remove }

/// <summary>
/// An operator's bounce, retry or removal of one message, through the single writer, so it is ordered
/// with the owner's outcomes: whichever is committed first decides a recipient (see
/// <see cref="IQueueStore.BounceMessageAsync"/>), and the other finds it no longer pending.
/// </summary>
internal sealed class SqliteOperatorActionOperation(OperatorActionKind kind, string messageId, string? reply, DateTimeOffset now) : SqliteWriteOperation
{
    // Only pending rows, so a recipient an outcome made final meanwhile keeps that outcome. No attempt is
    // counted and no remote MTA named: the reply is the operator's, not a receiver's.
    private const string Bounce =
        "UPDATE recipients SET state = 2, next_attempt_at = $now, last_reply = $reply, remote_mta = NULL " +
        "WHERE message_id = $id AND state = 0 RETURNING " + SqliteSchema.RecipientColumns;

    private const string Retry =
        "UPDATE recipients SET next_attempt_at = min(next_attempt_at, $now) " +
        "WHERE message_id = $id AND state = 0 RETURNING " + SqliteSchema.RecipientColumns;

    private const string SelectAll = "SELECT " + SqliteSchema.RecipientColumns + " FROM recipients WHERE message_id = $id ORDER BY id";

    private const string SelectShard = "SELECT shard FROM messages WHERE id = $id";

    /// <summary>What was done, once the write has run; null when the message is not in the spool.</summary>
    public MessageAction? Result { get; private set; }

    public override void Execute(SqliteSpoolWriter writer)
    {
        // Set on every run: a batch that is rolled back and rerun without another write runs this again.
        Result = null;
        var id = ("$id", (object?)messageId);
        if (writer.QueryRows(SelectShard, [id]) is not [var row, ..])
            return;
        var shard = writer.ShardOf(messageId) is var known and >= 0 ? known : Convert.ToInt32(row[0] ?? 0L, System.Globalization.CultureInfo.InvariantCulture);
        switch (kind)
        {
            case OperatorActionKind.Bounce:
            {
                var failed = writer.QueryRecipients(Bounce, [id, ("$now", now.ToUnixTimeMilliseconds()), ("$reply", reply)]);
                // A message with no pending recipient left is complete, as when its last outcome is recorded.
                var completed = failed.Count > 0 ? writer.MarkCompleteIfDone(messageId, now) : null;
                Result = new MessageAction(messageId, shard, failed, completed);
                break;
            }
            case OperatorActionKind.Retry:
                Result = new MessageAction(messageId, shard, writer.QueryRecipients(Retry, [id, ("$now", now.ToUnixTimeMilliseconds())]));
                break;
            default:
            {
                var all = writer.QueryRecipients(SelectAll, [id]);
                // Recipients and the completion go with it (ON DELETE CASCADE).
                writer.DeleteMessage(messageId);
                Result = new MessageAction(messageId, shard, all);
                break;
            }
        }
    }
}

internal sealed partial class SqliteSpoolWriter
{
    /// <summary>Recipient rows of a statement that selects or returns <see cref="SqliteSchema.RecipientColumns"/>, read by name; compiled per call (not a hot path).</summary>
    internal List<QueuedRecipient> QueryRecipients(string sql, (string Name, object? Value)[] parameters)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        using var reader = command.ExecuteReader();
        var rows = new List<QueuedRecipient>();
        while (reader.Read())
        {
            rows.Add(new QueuedRecipient(
                reader.GetInt64(reader.GetOrdinal("id")),
                reader.GetString(reader.GetOrdinal("message_id")),
                reader.GetString(reader.GetOrdinal("address")),
                reader.GetString(reader.GetOrdinal("domain")),
                reader.GetInt32(reader.GetOrdinal("shard")),
                Text(reader, "orcpt"),
                StoredEnvelopeValues.ToNotify(reader.GetInt64(reader.GetOrdinal("notify"))),
                (RecipientState)reader.GetInt32(reader.GetOrdinal("state")),
                reader.GetInt32(reader.GetOrdinal("attempts")),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(reader.GetOrdinal("next_attempt_at"))),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(reader.GetOrdinal("queued_at"))),
                Text(reader, "last_reply"),
                reader.GetInt32(reader.GetOrdinal("local_failures")),
                Time(reader, "delay_notice_at"),
                Time(reader, "last_attempt_at"),
                Text(reader, "remote_mta"),
                (DeliveryLane)reader.GetInt32(reader.GetOrdinal("lane")),
                reader.GetString(reader.GetOrdinal("tenant"))));
        }
        return rows;

        static string? Text(SqliteDataReader reader, string column) =>
            reader.IsDBNull(reader.GetOrdinal(column)) ? null : reader.GetString(reader.GetOrdinal(column));

        static DateTimeOffset? Time(SqliteDataReader reader, string column) =>
            reader.IsDBNull(reader.GetOrdinal(column)) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(reader.GetOrdinal(column)));
    }
}
