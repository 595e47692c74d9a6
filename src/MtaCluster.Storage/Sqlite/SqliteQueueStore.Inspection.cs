using Microsoft.Data.Sqlite;

namespace MtaCluster.Storage.Sqlite;

/// <summary>The control plane's reads: the queue's summary, its largest domains, one domain, one message's completion.</summary>
public sealed partial class SqliteQueueStore
{
    // The statistics' one pass over recipients, with the oldest pending queue time taken in the same pass.
    private const string SelectQueueSummary =
        "SELECT (SELECT COUNT(*) FROM messages) AS messages, " +
        "COUNT(*) FILTER (WHERE state = 0) AS pending, COUNT(*) FILTER (WHERE state IN (1, 4)) AS delivered, " +
        "COUNT(*) FILTER (WHERE state = 2) AS failed, COUNT(*) FILTER (WHERE state = 3) AS expired, " +
        "MIN(queued_at) FILTER (WHERE state = 0) AS oldest " +
        "FROM recipients";

    // state = 0 literally, so the partial ix_recipients_lane_due (pending rows only, domain first) can
    // serve the grouping without reading the finished rows a retaining spool keeps.
    private const string SelectTopDomains =
        "SELECT domain, COUNT(*) AS pending, MIN(queued_at) AS oldest FROM recipients " +
        "WHERE state = 0 GROUP BY domain ORDER BY pending DESC, domain LIMIT $limit";

    private const string SelectDomainQueue =
        "SELECT COUNT(*) AS pending, MIN(queued_at) AS oldest FROM recipients WHERE domain = $domain AND state = 0";

    // The last reply that was not a delivery: a deferral of a pending recipient or a bounce.
    private const string SelectDomainLastError =
        "SELECT last_reply, last_attempt_at FROM recipients " +
        "WHERE domain = $domain AND state NOT IN (1, 4) AND last_attempt_at IS NOT NULL AND last_reply IS NOT NULL " +
        "ORDER BY last_attempt_at DESC, id DESC LIMIT 1";

    private const string SelectMessageCompletion =
        "SELECT completed_at, undelivered, retained_until FROM message_completions WHERE message_id = $id";

    /// <inheritdoc />
    public async Task<QueueSummary> GetQueueSummaryAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenReadAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = SelectQueueSummary;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var totals = new QueueStatistics(
            reader.GetInt64(reader.GetOrdinal("messages")),
            reader.GetInt64(reader.GetOrdinal("pending")),
            reader.GetInt64(reader.GetOrdinal("delivered")),
            reader.GetInt64(reader.GetOrdinal("failed")),
            reader.GetInt64(reader.GetOrdinal("expired")));
        return new QueueSummary(totals, NullableTime(reader, reader.GetOrdinal("oldest")));
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<DomainQueue>> GetTopDomainsAsync(int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        await using var connection = await OpenReadAsync(cancellationToken).ConfigureAwait(false);
        var top = new List<DomainQueue>();
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = SelectTopDomains;
            command.Parameters.AddWithValue("$limit", limit);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                top.Add(new DomainQueue(
                    reader.GetString(reader.GetOrdinal("domain")),
                    reader.GetInt64(reader.GetOrdinal("pending")),
                    NullableTime(reader, reader.GetOrdinal("oldest"))));
            }
        }
        for (var i = 0; i < top.Count; i++)
        {
            var (reply, at) = await ReadLastErrorAsync(connection, top[i].Domain, cancellationToken).ConfigureAwait(false);
            top[i] = top[i] with { LastReply = reply, LastAttemptAt = at };
        }
        return top;
    }

    /// <inheritdoc />
    public async Task<DomainQueue> GetDomainQueueAsync(string domain, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(domain);
        await using var connection = await OpenReadAsync(cancellationToken).ConfigureAwait(false);
        long pending;
        DateTimeOffset? oldest;
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = SelectDomainQueue;
            command.Parameters.AddWithValue("$domain", domain);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            pending = reader.GetInt64(reader.GetOrdinal("pending"));
            oldest = NullableTime(reader, reader.GetOrdinal("oldest"));
        }
        var (reply, at) = await ReadLastErrorAsync(connection, domain, cancellationToken).ConfigureAwait(false);
        return new DomainQueue(domain, pending, oldest, reply, at);
    }

    /// <inheritdoc />
    public async Task<MessageCompletion?> GetMessageCompletionAsync(string messageId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messageId);
        await using var connection = await OpenReadAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = SelectMessageCompletion;
        command.Parameters.AddWithValue("$id", messageId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            return null;
        return new MessageCompletion(
            DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(reader.GetOrdinal("completed_at"))),
            reader.GetInt32(reader.GetOrdinal("undelivered")),
            NullableTime(reader, reader.GetOrdinal("retained_until")));
    }

    private static async Task<(string? Reply, DateTimeOffset? At)> ReadLastErrorAsync(SqliteConnection connection, string domain, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = SelectDomainLastError;
        command.Parameters.AddWithValue("$domain", domain);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            return (null, null);
        return (reader.GetString(reader.GetOrdinal("last_reply")), NullableTime(reader, reader.GetOrdinal("last_attempt_at")));
    }
}
