using System.Buffers;
using System.Data;
using MtaCluster.Mail;
using Npgsql;

namespace MtaCluster.Storage.Postgres;

/// <summary>
/// Reading a message: the envelope without the body; the body either whole, in the same statement
/// (one snapshot), into a pooled buffer, or as a stream that fetches slices of it inside a
/// repeatable-read transaction, so the stream stays whole if the message is deleted meanwhile.
/// </summary>
public sealed partial class PostgresQueueStore
{
    /// <inheritdoc />
    public async Task<StoredMessage?> GetMessageAsync(string messageId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messageId);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, PostgresSchema.SelectMessage, messageId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            return null;
        return ReadEnvelope(reader, out _);
    }

    /// <inheritdoc />
    public async Task<LoadedMessage?> LoadMessageAsync(string messageId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messageId);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, PostgresSchema.SelectMessageWithBody, messageId);
        // Sequential: the body is copied from the socket into the pooled buffer, never into an array of its own.
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            return null;
        var message = ReadEnvelope(reader, out var size);
        if (size > Array.MaxLength)
            throw new InvalidDataException($"The body of {messageId} is larger than one buffer can hold.");
        var length = (int)size;
        // A pooled buffer rather than a new array per transaction: a large body would otherwise be a
        // large-object allocation each time it is sent, and a message with many domains is sent often.
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        try
        {
            await using var body = await reader.GetStreamAsync(PostgresSchema.EnvelopeColumnCount, cancellationToken).ConfigureAwait(false);
            await body.ReadExactlyAsync(buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
        return new LoadedMessage(message, buffer, length);
    }

    /// <summary>A stream over the body that owns its connection and read snapshot; null when the message is gone.</summary>
    internal async Task<Stream?> OpenBodyAsync(string messageId, CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        NpgsqlTransaction? transaction = null;
        try
        {
            transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
            // The snapshot is taken by this first statement: every slice read after it is of this row.
            await using var command = Command(connection, PostgresSchema.SelectBodySize, messageId);
            if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not long size)
            {
                await transaction.DisposeAsync().ConfigureAwait(false);
                await connection.DisposeAsync().ConfigureAwait(false);
                return null;
            }
            return new PostgresBodyStream(connection, transaction, messageId, size, _options.BodyReadChunkBytes);
        }
        catch
        {
            if (transaction is not null) await transaction.DisposeAsync().ConfigureAwait(false);
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    // Columns in the order of PostgresSchema.EnvelopeColumns, read in that order (the body reader is sequential).
    private StoredMessage ReadEnvelope(NpgsqlDataReader reader, out long size)
    {
        var id = reader.GetString(0);
        var reversePath = reader.GetString(1);
        var receivedAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2));
        var bodyType = StoredEnvelopeValues.ToBodyType(reader.GetInt16(3));
        var smtpUtf8 = reader.GetBoolean(4);
        var ret = StoredEnvelopeValues.ToReturn(reader.GetInt16(5));
        var envelopeId = reader.IsDBNull(6) ? null : reader.GetString(6);
        var clientAddress = reader.IsDBNull(7) ? null : reader.GetString(7);
        var authUser = reader.IsDBNull(8) ? null : reader.GetString(8);
        size = reader.GetInt64(9);
        var tenant = reader.GetString(10);
        var lane = (DeliveryLane)reader.GetInt16(11);
        var campaign = reader.IsDBNull(12) ? null : reader.GetString(12);
        return new StoredMessage(id, reversePath, new PostgresStoredBody(this, id, size), receivedAt, bodyType, smtpUtf8, ret, envelopeId, clientAddress, authUser, tenant, lane, campaign);
    }
}
