using Npgsql;

namespace MtaCluster.Storage.Postgres;

/// <summary>
/// An operator's actions on one message, from any node: not fenced (the node need not own a shard of
/// it), made safe by rows instead (see <see cref="IQueueStore.BounceMessageAsync"/>). Each locks the
/// message's recipients before the message row, the order an owner's <see cref="RecordAttemptsAsync"/>
/// takes them in; the deadlock PostgreSQL may still find between two orders of recipients is retried.
/// The wake-ups go out with the commit, as the owner's own writes send theirs.
/// </summary>
public sealed partial class PostgresQueueStore
{
    private const int OperatorActionTries = 3;

    private const string SelectShardOfMessage = "SELECT shard FROM messages WHERE id = $1";

    // FOR UPDATE in the subquery: rows in id order, and under READ COMMITTED a row an outcome made final
    // while this waited for it is re-read and left out. The outer state = 0 says the same for the update.
    private const string BounceRecipients =
        "UPDATE recipients SET state = 2, next_attempt_at = $2, last_reply = $3, remote_mta = NULL " +
        "WHERE id IN (SELECT id FROM recipients WHERE message_id = $1 AND state = 0 ORDER BY id FOR UPDATE) AND state = 0 " +
        "RETURNING " + PostgresSchema.RecipientColumns;

    private const string RetryRecipients =
        "UPDATE recipients SET next_attempt_at = least(next_attempt_at, $2) " +
        "WHERE id IN (SELECT id FROM recipients WHERE message_id = $1 AND state = 0 ORDER BY id FOR UPDATE) AND state = 0 " +
        "RETURNING " + PostgresSchema.RecipientColumns;

    private const string LockRecipientsOfMessage =
        "SELECT " + PostgresSchema.RecipientColumns + " FROM recipients WHERE message_id = $1 ORDER BY id FOR UPDATE";

    /// <inheritdoc />
    public Task<MessageAction?> BounceMessageAsync(string messageId, string reply, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(messageId);
        ArgumentException.ThrowIfNullOrEmpty(reply);
        return InOperatorTransactionAsync(messageId, async (connection, shard) =>
        {
            List<QueuedRecipient> failed;
            await using (var bounce = Command(connection, BounceRecipients, messageId, now.ToUnixTimeMilliseconds(), reply))
                failed = [.. (await PostgresRecipientReader.ReadAsync(bounce, cancellationToken).ConfigureAwait(false)).OrderBy(r => r.RecipientId)];
            CompletedMessage? completed = null;
            if (failed.Count > 0)
            {
                // As RecordAttemptsAsync: the message lock, then the look for pending recipients, so two
                // writers finishing its last recipients at once still complete it exactly once.
                await using (var lockMessage = new NpgsqlCommand(PostgresSchema.LockMessages, connection))
                {
                    lockMessage.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [messageId] });
                    await lockMessage.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
                completed = await MarkCompleteIfDoneAsync(connection, messageId, now, cancellationToken).ConfigureAwait(false);
                if (_options.Notify && completed is { Removed: false })
                    await PostgresWakeNotifier.NotifyAsync(connection, [new WakeNotification(WakeNotification.MessageType, completed.Shard, messageId).ToPayload()], cancellationToken).ConfigureAwait(false);
            }
            return new MessageAction(messageId, shard, failed, completed);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<MessageAction?> RetryMessageAsync(string messageId, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(messageId);
        return InOperatorTransactionAsync(messageId, async (connection, shard) =>
        {
            List<QueuedRecipient> due;
            await using (var retry = Command(connection, RetryRecipients, messageId, now.ToUnixTimeMilliseconds()))
                due = [.. (await PostgresRecipientReader.ReadAsync(retry, cancellationToken).ConfigureAwait(false)).OrderBy(r => r.RecipientId)];
            if (_options.Notify && due.Count > 0)
            {
                var payloads = due.Select(r => (r.Shard, r.Domain)).Distinct()
                    .Select(d => new WakeNotification(WakeNotification.DomainType, d.Shard, d.Domain).ToPayload()).ToList();
                await PostgresWakeNotifier.NotifyAsync(connection, payloads, cancellationToken).ConfigureAwait(false);
            }
            return new MessageAction(messageId, shard, due);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<MessageAction?> RemoveMessageAsync(string messageId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(messageId);
        return InOperatorTransactionAsync(messageId, async (connection, shard) =>
        {
            IReadOnlyList<QueuedRecipient> all;
            // The recipients first, then the message row (by the delete): an owner's outcome waits, then finds no row.
            await using (var lockRecipients = Command(connection, LockRecipientsOfMessage, messageId))
                all = await PostgresRecipientReader.ReadAsync(lockRecipients, cancellationToken).ConfigureAwait(false);
            await using (var delete = Command(connection, PostgresSchema.DeleteMessage, messageId))
                await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return new MessageAction(messageId, shard, all);
        }, cancellationToken);
    }

    /// <summary>Runs <paramref name="action"/> in a transaction of its own when the message exists (null otherwise), again after a deadlock.</summary>
    private async Task<MessageAction?> InOperatorTransactionAsync(string messageId, Func<NpgsqlConnection, int, Task<MessageAction>> action, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                int shard;
                await using (var select = Command(connection, SelectShardOfMessage, messageId))
                {
                    if (await select.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not int found)
                        return null;
                    shard = found;
                }
                var result = await action(connection, shard).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return result;
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.DeadlockDetected && attempt < OperatorActionTries)
            {
                // PostgreSQL rolled this one back so the other writer (an owner's outcome) could go on.
            }
        }
    }
}
