using Npgsql;
using NpgsqlTypes;

namespace MtaCluster.Storage.Postgres;

/// <summary>
/// A shard owner's writes. Each runs in a transaction of its own on a pooled connection (PostgreSQL
/// flushes the WAL of concurrent commits together, so they need no writer of their own), and with
/// fencing on, first checks under its shards' lease rows that this node still owns them
/// (<see cref="PostgresShardFence"/>): a refused write changes nothing and throws
/// <see cref="ShardLeaseLostException"/>.
/// </summary>
public sealed partial class PostgresQueueStore
{
    /// <inheritdoc />
    public async Task<IReadOnlyList<CompletedMessage>> RecordAttemptsAsync(IReadOnlyList<RecipientAttempt> attempts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(attempts);
        if (attempts.Count == 0)
            return [];
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        if (_options.Fencing is not null)
        {
            var ids = new long[attempts.Count];
            for (var i = 0; i < ids.Length; i++) ids[i] = attempts[i].RecipientId;
            var shards = await PostgresShardFence.ShardsAsync(connection, PostgresSchema.SelectShardsOfRecipients,
                new NpgsqlParameter<long[]> { TypedValue = ids }, cancellationToken).ConfigureAwait(false);
            await PostgresShardFence.CheckAsync(connection, _options.Fencing, shards, cancellationToken).ConfigureAwait(false);
        }

        // One round trip for all outcomes, applied in order (two outcomes for one recipient are two attempts).
        Dictionary<string, DateTimeOffset>? finalByMessage = null;
        await using (var batch = new NpgsqlBatch(connection))
        {
            foreach (var attempt in attempts)
            {
                var command = new NpgsqlBatchCommand(PostgresSchema.UpdateRecipient);
                command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = attempt.RecipientId });
                command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)attempt.State });
                command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = attempt.NextAttemptAt.ToUnixTimeMilliseconds() });
                command.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = attempt.Reply, NpgsqlDbType = NpgsqlDbType.Text });
                command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = attempt.LocalFailures });
                command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = (attempt.AttemptedAt ?? DateTimeOffset.UtcNow).ToUnixTimeMilliseconds() });
                command.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = attempt.RemoteMta, NpgsqlDbType = NpgsqlDbType.Text });
                batch.BatchCommands.Add(command);
            }
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < attempts.Count; i++)
            {
                // A recipient that is gone (its message deleted) returns no row.
                if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false) && attempts[i].State != RecipientState.Pending)
                {
                    var messageId = reader.GetString(0);
                    var at = attempts[i].AttemptedAt ?? DateTimeOffset.UtcNow;
                    finalByMessage ??= new(StringComparer.Ordinal);
                    if (!finalByMessage.TryGetValue(messageId, out var latest) || at > latest)
                        finalByMessage[messageId] = at;
                }
                await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        List<CompletedMessage>? completed = null;
        if (finalByMessage is not null)
        {
            await using (var lockMessages = new NpgsqlCommand(PostgresSchema.LockMessages, connection))
            {
                lockMessages.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. finalByMessage.Keys] });
                await lockMessages.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            foreach (var (messageId, at) in finalByMessage)
            {
                if (await MarkCompleteIfDoneAsync(connection, messageId, at, cancellationToken).ConfigureAwait(false) is { } done)
                    (completed ??= []).Add(done);
            }
        }
        if (_options.Notify && completed is not null)
        {
            // A removed message has nothing left to finish: only the others wake their message entity.
            var payloads = completed.Where(c => !c.Removed)
                .Select(c => new WakeNotification(WakeNotification.MessageType, c.Shard, c.MessageId).ToPayload()).ToList();
            await PostgresWakeNotifier.NotifyAsync(connection, payloads, cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return (IReadOnlyList<CompletedMessage>?)completed ?? [];
    }

    private async Task<CompletedMessage?> MarkCompleteIfDoneAsync(NpgsqlConnection connection, string messageId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        if (_options.RemoveDeliveredOnCompletion)
        {
            // The common end of a message: everything delivered, nothing to report, nothing kept.
            await using var delete = Command(connection, PostgresSchema.DeleteMessageIfAllDelivered, messageId);
            if (await delete.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is int shard)
                return new CompletedMessage(messageId, shard, at, 0, Removed: true);
        }
        await using var mark = Command(connection, PostgresSchema.MarkCompleteIfLast, messageId, at.ToUnixTimeMilliseconds());
        await using var reader = await mark.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadCompletion(reader) : null;
    }

    /// <inheritdoc />
    public async Task<bool> FinishMessageAsync(string messageId, IReadOnlyList<SpoolMessage> notifications, DateTimeOffset? retainUntil = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(messageId);
        ArgumentNullException.ThrowIfNull(notifications);
        foreach (var notification in notifications)
        {
            if (notification.Recipients is not { Count: > 0 })
                throw new ArgumentException("A notification needs at least one recipient.", nameof(notifications));
        }
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await FenceMessageAsync(connection, messageId, cancellationToken).ConfigureAwait(false);
        await using (var lockCompletion = Command(connection, PostgresSchema.LockCompletion, messageId))
        {
            await using var reader = await lockCompletion.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            // Not complete, or finished already (retained): nothing is stored, so a repeat cannot queue a second DSN.
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false) || !reader.IsDBNull(0))
                return false;
        }
        if (notifications.Count > 0)
        {
            await PostgresMessageBatch.InsertAsync(connection, notifications,
                _options.Notify ? PostgresWakeNotifier.DomainPayloads(notifications) : null, cancellationToken).ConfigureAwait(false);
        }
        await using (var finish = retainUntil is { } until
            ? Command(connection, PostgresSchema.RetainCompleted, messageId, until.ToUnixTimeMilliseconds())
            : Command(connection, PostgresSchema.DeleteMessage, messageId))
            await finish.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <inheritdoc />
    public async Task<bool> RecordDelayNoticeAsync(IReadOnlyList<long> recipientIds, DateTimeOffset noticeAt, SpoolMessage? notification, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(recipientIds);
        if (notification is { Recipients.Count: 0 })
            throw new ArgumentException("A notification needs at least one recipient.", nameof(notification));
        if (recipientIds.Count == 0)
            return false;
        var ids = recipientIds.ToArray();
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        if (_options.Fencing is not null)
        {
            var shards = await PostgresShardFence.ShardsAsync(connection, PostgresSchema.SelectMessageShardsOfRecipients,
                new NpgsqlParameter<long[]> { TypedValue = ids }, cancellationToken).ConfigureAwait(false);
            await PostgresShardFence.CheckAsync(connection, _options.Fencing, shards, cancellationToken).ConfigureAwait(false);
        }
        int marked;
        await using (var mark = new NpgsqlCommand(PostgresSchema.MarkDelayNotice, connection))
        {
            mark.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = ids });
            mark.Parameters.Add(new NpgsqlParameter<long> { TypedValue = noticeAt.ToUnixTimeMilliseconds() });
            marked = await mark.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        // None pending any more (their outcomes came first): a delay notice never follows the end of a message.
        if (marked == 0)
            return false;
        if (notification is not null)
        {
            await PostgresMessageBatch.InsertAsync(connection, [notification],
                _options.Notify ? PostgresWakeNotifier.DomainPayloads([notification]) : null, cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <inheritdoc />
    public async Task DeleteMessageAsync(string messageId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(messageId);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await FenceMessageAsync(connection, messageId, cancellationToken).ConfigureAwait(false);
        await using (var delete = Command(connection, PostgresSchema.DeleteMessage, messageId))
            await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>As the interface says; with fencing, only messages of shards this node holds (a lease lost under it throws).</summary>
    public async Task<int> DeleteRetainedMessagesAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var until = now.ToUnixTimeMilliseconds();
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        NpgsqlCommand delete;
        if (_options.Fencing is { } fencing)
        {
            var candidates = await PostgresShardFence.ShardsAsync(connection, PostgresSchema.SelectRetainedShards,
                new NpgsqlParameter<long> { TypedValue = until }, cancellationToken).ConfigureAwait(false);
            var held = candidates.Where(shard => fencing.TryGetEpoch(shard, out _)).ToArray();
            if (held.Length == 0)
                return 0;
            await PostgresShardFence.CheckAsync(connection, fencing, held, cancellationToken).ConfigureAwait(false);
            delete = Command(connection, PostgresSchema.DeleteRetainedUntilInShards, until, limit);
            delete.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = held });
        }
        else
        {
            delete = Command(connection, PostgresSchema.DeleteRetainedUntil, until, limit);
        }
        int deleted;
        await using (delete)
            deleted = await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return deleted;
    }

    /// <summary>With fencing, checks the lease of the message's own shard (nothing to check for a message that is gone).</summary>
    private async Task FenceMessageAsync(NpgsqlConnection connection, string messageId, CancellationToken cancellationToken)
    {
        if (_options.Fencing is null)
            return;
        var shards = await PostgresShardFence.ShardsAsync(connection, PostgresSchema.SelectMessageShard,
            new NpgsqlParameter<string> { TypedValue = messageId }, cancellationToken).ConfigureAwait(false);
        await PostgresShardFence.CheckAsync(connection, _options.Fencing, shards, cancellationToken).ConfigureAwait(false);
    }
}
