using MtaCluster.Mail;
using Npgsql;

namespace MtaCluster.Storage.Postgres;

/// <summary>
/// An operator's writes to a domain's queue (flush, purge), made by whichever node the operator asked.
/// They are not fenced: fencing keeps a stale shard owner from writing over its successor, and these
/// are not an owner's writes but external changes, like a new message filed into a shard from any
/// node. The owner's own writes stay fenced and meet these rows as they find them: an outcome for a
/// purged recipient finds no row (ignored), and one for a flushed recipient in flight overwrites the
/// flush with its newer retry time.
/// </summary>
public sealed partial class PostgresQueueStore
{
    private const string DeadlockDetected = "40P01";

    /// <inheritdoc />
    public async Task<int> FlushDomainAsync(string domain, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(domain);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var update = Command(connection, PostgresSchema.FlushDomain, domain, now.ToUnixTimeMilliseconds());
        return await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<DomainPurge> PurgeDomainAsync(string domain, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(domain);
        var parts = new List<DomainPurge>();
        DomainPurge part;
        do
        {
            part = await PurgePartAsync(domain, now, cancellationToken).ConfigureAwait(false);
            parts.Add(part);
        } while (part.Recipients.Count == IQueueStore.PurgePartSize);
        return DomainPurge.Combine(domain, parts);
    }

    private async Task<DomainPurge> PurgePartAsync(string domain, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // Rows are locked in the order outcomes lock them (recipients, then their messages), yet a
        // deadlock with an owner's batch of several recipients stays possible: PostgreSQL breaks it by
        // failing one side, and this side tries again rather than fail the operator's command.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await PurgePartOnceAsync(domain, now, cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (ex.SqlState == DeadlockDetected && attempt < 3)
            {
            }
        }
    }

    private async Task<DomainPurge> PurgePartOnceAsync(string domain, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var purged = new List<PurgedRecipient>();
        await using (var delete = Command(connection, PostgresSchema.PurgeDomainPart, domain, IQueueStore.PurgePartSize))
        await using (var reader = await delete.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                purged.Add(new PurgedRecipient(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3),
                    DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)), (DeliveryLane)reader.GetInt16(5), reader.GetString(6)));
        }
        var messages = purged.Select(p => p.MessageId).Distinct(StringComparer.Ordinal).ToArray();
        var removed = 0;
        var completed = new List<CompletedMessage>();
        if (messages.Length > 0)
        {
            // As an outcome's commit does: an outcome racing this one on another recipient of the same
            // message waits here, then sees the deletes, so exactly one of the two marks it complete.
            await using (var lockMessages = new NpgsqlCommand(PostgresSchema.LockMessages, connection))
            {
                lockMessages.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = messages });
                await lockMessages.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            removed += await DeleteMessagesAsync(connection, PostgresSchema.DeleteMessagesWithoutRecipients, messages, cancellationToken).ConfigureAwait(false);
            if (_options.RemoveDeliveredOnCompletion)
                removed += await DeleteMessagesAsync(connection, PostgresSchema.DeleteMessagesAllDelivered, messages, cancellationToken).ConfigureAwait(false);
            await using (var mark = new NpgsqlCommand(PostgresSchema.MarkCompleteIfLastOfMany, connection))
            {
                mark.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = messages });
                mark.Parameters.Add(new NpgsqlParameter<long> { TypedValue = now.ToUnixTimeMilliseconds() });
                await using var reader = await mark.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) completed.Add(ReadCompletion(reader));
            }
            if (_options.Notify && completed.Count > 0)
            {
                // The message's owner, whichever node it is, finishes what this made complete.
                await PostgresWakeNotifier.NotifyAsync(connection,
                    completed.Select(c => new WakeNotification(WakeNotification.MessageType, c.Shard, c.MessageId).ToPayload()).ToList(),
                    cancellationToken).ConfigureAwait(false);
            }
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new DomainPurge(domain, purged, removed, completed);
    }

    private static async Task<int> DeleteMessagesAsync(NpgsqlConnection connection, string sql, string[] messages, CancellationToken cancellationToken)
    {
        await using var delete = new NpgsqlCommand(sql, connection);
        delete.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = messages });
        return await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
