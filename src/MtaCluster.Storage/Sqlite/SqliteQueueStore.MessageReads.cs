using System.Buffers;
using Microsoft.Data.Sqlite;
using MtaCluster.Mail;

namespace MtaCluster.Storage.Sqlite;

/// <summary>
/// Reading a message: the envelope by a plain query, the body through an incremental-I/O handle
/// (<see cref="SqliteBlob"/>) on the row, inside one read transaction so that the row found and the
/// body read are the same snapshot (WAL readers keep it even while the writer deletes the message).
/// </summary>
public sealed partial class SqliteQueueStore
{
    /// <inheritdoc />
    public async Task<StoredMessage?> GetMessageAsync(string messageId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messageId);
        await using var connection = await OpenReadAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = SqliteSchema.SelectMessage;
        command.Parameters.AddWithValue("$id", messageId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            return null;
        return ReadEnvelope(reader, new SqliteStoredBody(this, messageId, reader.GetInt64(reader.GetOrdinal("size"))));
    }

    /// <inheritdoc />
    public async Task<LoadedMessage?> LoadMessageAsync(string messageId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messageId);
        await using var connection = await OpenReadAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = connection.BeginTransaction(deferred: true);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = SqliteSchema.SelectMessageToSend;
        command.Parameters.AddWithValue("$id", messageId);
        StoredMessage message;
        long rowid;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                return null;
            rowid = reader.GetInt64(reader.GetOrdinal("row_id"));
            message = ReadEnvelope(reader, new SqliteStoredBody(this, messageId, reader.GetInt64(reader.GetOrdinal("size"))));
        }

        using var blob = new SqliteBlob(connection, "messages", "body", rowid, readOnly: true);
        if (blob.Length > Array.MaxLength)
            throw new InvalidDataException($"The body of {messageId} is larger than one buffer can hold.");
        var length = (int)blob.Length;
        // A pooled buffer rather than a new array per transaction: a large body would otherwise be a
        // large-object allocation each time it is sent, and a message with many domains is sent often.
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        try
        {
            blob.ReadExactly(buffer, 0, length);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
        return new LoadedMessage(message, buffer, length);
    }

    /// <summary>A stream over the body that owns its connection, read transaction and blob handle; null when the message is gone.</summary>
    internal async Task<Stream?> OpenBodyAsync(string messageId, CancellationToken cancellationToken)
    {
        var connection = await OpenReadAsync(cancellationToken).ConfigureAwait(false);
        SqliteTransaction? transaction = null;
        try
        {
            transaction = connection.BeginTransaction(deferred: true);
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = SqliteSchema.SelectMessageRowid;
            command.Parameters.AddWithValue("$id", messageId);
            if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not long rowid)
            {
                await transaction.DisposeAsync().ConfigureAwait(false);
                await connection.DisposeAsync().ConfigureAwait(false);
                return null;
            }
            var blob = new SqliteBlob(connection, "messages", "body", rowid, readOnly: true);
            return new SqliteBodyStream(connection, transaction, blob);
        }
        catch
        {
            if (transaction is not null) await transaction.DisposeAsync().ConfigureAwait(false);
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static StoredMessage ReadEnvelope(SqliteDataReader reader, StoredBody body) =>
        new(
            reader.GetString(reader.GetOrdinal("id")),
            reader.GetString(reader.GetOrdinal("reverse_path")),
            body,
            DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(reader.GetOrdinal("received_at"))),
            StoredEnvelopeValues.ToBodyType(reader.GetInt64(reader.GetOrdinal("body_type"))),
            reader.GetInt64(reader.GetOrdinal("smtputf8")) != 0,
            StoredEnvelopeValues.ToReturn(reader.GetInt64(reader.GetOrdinal("ret"))),
            NullableString(reader, reader.GetOrdinal("envid")),
            NullableString(reader, reader.GetOrdinal("client_address")),
            NullableString(reader, reader.GetOrdinal("auth_user")),
            reader.GetString(reader.GetOrdinal("tenant")),
            (DeliveryLane)reader.GetInt32(reader.GetOrdinal("lane")),
            NullableString(reader, reader.GetOrdinal("campaign")));
}
