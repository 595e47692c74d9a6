using Npgsql;
using NpgsqlTypes;

using MtaCluster.Storage.Postgres;

namespace MtaCluster.Storage.Tests.Benchmarks;

/// <summary>
/// The binary-COPY way of storing a batch (measured against the store's NpgsqlBatch in
/// <see cref="PostgresAcceptBenchmark"/>): one COPY for the messages and one for
/// the recipients of all of them, whatever their number. A body goes to the socket from the buffers
/// it arrived in (a single piece as memory, several through <see cref="MessageContentStream"/>).
/// </summary>
public static class PostgresMessageCopy
{
    private const string CopyMessages =
        "COPY messages (id, reverse_path, body_type, smtputf8, ret, envid, received_at, size, client_address, auth_user, shard, tenant, lane, campaign, body) FROM STDIN (FORMAT BINARY)";

    private const string CopyRecipients =
        "COPY recipients (message_id, address, orcpt, notify, domain, shard, state, attempts, next_attempt_at, queued_at, lane, tenant) FROM STDIN (FORMAT BINARY)";

    public static async Task InsertAsync(NpgsqlConnection connection, IReadOnlyList<SpoolMessage> messages, CancellationToken cancellationToken)
    {
        await using (var importer = await connection.BeginBinaryImportAsync(CopyMessages, cancellationToken).ConfigureAwait(false))
        {
            for (var i = 0; i < messages.Count; i++)
            {
                var message = messages[i];
                await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
                await TextAsync(importer, message.Id, cancellationToken).ConfigureAwait(false);
                await TextAsync(importer, message.ReversePath, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync((short)StoredEnvelopeValues.FromBodyType(message.BodyType), NpgsqlDbType.Smallint, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(message.SmtpUtf8, NpgsqlDbType.Boolean, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync((short)StoredEnvelopeValues.FromReturn(message.DsnReturn), NpgsqlDbType.Smallint, cancellationToken).ConfigureAwait(false);
                await TextAsync(importer, message.EnvelopeId, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(message.ReceivedAt.ToUnixTimeMilliseconds(), NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(message.Content.Length, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
                await TextAsync(importer, message.ClientAddress, cancellationToken).ConfigureAwait(false);
                await TextAsync(importer, message.AuthenticatedUser, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(message.Shard, NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false);
                await TextAsync(importer, message.Tenant, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync((short)message.Lane, NpgsqlDbType.Smallint, cancellationToken).ConfigureAwait(false);
                await TextAsync(importer, message.Campaign, cancellationToken).ConfigureAwait(false);
                var content = message.Content;
                if (content.Prefix.IsEmpty && content.Body.IsSingleSegment)
                    await importer.WriteAsync(content.Body.First, NpgsqlDbType.Bytea, cancellationToken).ConfigureAwait(false);
                else
                    await importer.WriteAsync<Stream>(new MtaCluster.Storage.Postgres.MessageContentStream(content), NpgsqlDbType.Bytea, cancellationToken).ConfigureAwait(false);
            }
            await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var importer = await connection.BeginBinaryImportAsync(CopyRecipients, cancellationToken).ConfigureAwait(false))
        {
            for (var i = 0; i < messages.Count; i++)
            {
                var message = messages[i];
                var receivedAt = message.ReceivedAt.ToUnixTimeMilliseconds();
                foreach (var recipient in message.Recipients)
                {
                    await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
                    await TextAsync(importer, message.Id, cancellationToken).ConfigureAwait(false);
                    await TextAsync(importer, recipient.Address, cancellationToken).ConfigureAwait(false);
                    await TextAsync(importer, recipient.OriginalRecipient, cancellationToken).ConfigureAwait(false);
                    await importer.WriteAsync((short)StoredEnvelopeValues.FromNotify(recipient.Notify), NpgsqlDbType.Smallint, cancellationToken).ConfigureAwait(false);
                    await TextAsync(importer, recipient.Domain, cancellationToken).ConfigureAwait(false);
                    await importer.WriteAsync(recipient.Shard, NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false);
                    await importer.WriteAsync((short)RecipientState.Pending, NpgsqlDbType.Smallint, cancellationToken).ConfigureAwait(false);
                    await importer.WriteAsync(0, NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false);
                    await importer.WriteAsync(receivedAt, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
                    await importer.WriteAsync(receivedAt, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
                    await importer.WriteAsync((short)message.Lane, NpgsqlDbType.Smallint, cancellationToken).ConfigureAwait(false);
                    await TextAsync(importer, message.Tenant, cancellationToken).ConfigureAwait(false);
                }
            }
            await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    // A null goes to the server as NULL, so a NOT NULL column refuses it there (23502): a data error
    // of that message, not an exception in the middle of the COPY stream.
    private static Task TextAsync(NpgsqlBinaryImporter importer, string? value, CancellationToken cancellationToken) =>
        value is null ? importer.WriteNullAsync(cancellationToken) : importer.WriteAsync(value, NpgsqlDbType.Text, cancellationToken);
}
