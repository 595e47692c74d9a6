using Npgsql;
using NpgsqlTypes;

namespace MtaCluster.Storage.Postgres;

/// <summary>
/// Stores messages and their recipients in one round trip: an <see cref="NpgsqlBatch"/> of two
/// prepared statements per message (the message row, then all its recipients through unnest), and
/// optionally the wake-ups, pipelined and executed in the caller's transaction. A body goes to the
/// socket from the buffers it arrived in: a single piece as memory, several through
/// <see cref="MessageContentStream"/>, never gathered into one array.
/// </summary>
/// <remarks>
/// Chosen by measurement: <c>PG_BENCH_MESSAGES=3000 dotnet test tests/MtaCluster.Storage.Tests -c Release
/// --filter FullyQualifiedName~PostgresAcceptBenchmarkTests --logger "console;verbosity=detailed"</c>
/// (64 callers each waiting for its commit, one recipient each, synchronous_commit on, PostgreSQL 15 on
/// the same 2-core host, which was shared with other work: figures vary run to run with its load).
/// Quietest run, msg/s at 2 KiB / 100 KiB bodies: this batch 6,480 / 884; NpgsqlBatch with one insert
/// per recipient 8,100 / 877; binary COPY 4,087 / 629; multi-row INSERT 4,153 / 657; batch with the
/// body as a large object (lo_from_bytea) 6,849 / 628. Two busier runs ranked them the same (2 KiB:
/// batch 1,868 and 1,976, COPY 944 and 911). COPY pays a round trip to start and one to end each COPY
/// and a call per field; the batch is one round trip of prepared statements. Large objects add a
/// function call and a second table write per body, and need a cleanup of their own on delete.
/// </remarks>
internal static class PostgresMessageBatch
{
    public static async Task InsertAsync(NpgsqlConnection connection, IReadOnlyList<SpoolMessage> messages, List<string>? wakeUps, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection);
        for (var i = 0; i < messages.Count; i++)
            Add(batch, messages[i]);
        if (wakeUps is { Count: > 0 })
        {
            var notify = new NpgsqlBatchCommand(PostgresSchema.Notify);
            notify.Parameters.Add(new NpgsqlParameter<string> { TypedValue = WakeNotification.Channel });
            notify.Parameters.Add(new NpgsqlParameter<List<string>> { TypedValue = wakeUps });
            batch.BatchCommands.Add(notify);
        }
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static void Add(NpgsqlBatch batch, SpoolMessage message)
    {
        var receivedAt = message.ReceivedAt.ToUnixTimeMilliseconds();
        var insert = new NpgsqlBatchCommand(PostgresSchema.InsertMessage);
        var p = insert.Parameters;
        p.Add(new NpgsqlParameter<string> { TypedValue = message.Id, NpgsqlDbType = NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter<string> { TypedValue = message.ReversePath, NpgsqlDbType = NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter<short> { TypedValue = (short)StoredEnvelopeValues.FromBodyType(message.BodyType) });
        p.Add(new NpgsqlParameter<bool> { TypedValue = message.SmtpUtf8 });
        p.Add(new NpgsqlParameter<short> { TypedValue = (short)StoredEnvelopeValues.FromReturn(message.DsnReturn) });
        p.Add(Text(message.EnvelopeId));
        p.Add(new NpgsqlParameter<long> { TypedValue = receivedAt });
        p.Add(new NpgsqlParameter<long> { TypedValue = message.Content.Length });
        p.Add(Text(message.ClientAddress));
        p.Add(Text(message.AuthenticatedUser));
        p.Add(new NpgsqlParameter<int> { TypedValue = message.Shard });
        p.Add(Text(message.Tenant));
        p.Add(new NpgsqlParameter<short> { TypedValue = (short)message.Lane });
        p.Add(Text(message.Campaign));
        var content = message.Content;
        if (content.Prefix.IsEmpty && content.Body.IsSingleSegment)
            p.Add(new NpgsqlParameter<ReadOnlyMemory<byte>> { TypedValue = content.Body.First, NpgsqlDbType = NpgsqlDbType.Bytea });
        else
            p.Add(new NpgsqlParameter<Stream> { TypedValue = new MessageContentStream(content), NpgsqlDbType = NpgsqlDbType.Bytea });
        batch.BatchCommands.Add(insert);

        var count = message.Recipients.Count;
        var addresses = new string[count];
        var orcpts = new string?[count];
        var notifies = new short[count];
        var domains = new string[count];
        var shards = new int[count];
        for (var i = 0; i < count; i++)
        {
            var recipient = message.Recipients[i];
            addresses[i] = recipient.Address;
            orcpts[i] = recipient.OriginalRecipient;
            notifies[i] = (short)StoredEnvelopeValues.FromNotify(recipient.Notify);
            domains[i] = recipient.Domain;
            shards[i] = recipient.Shard;
        }
        var recipients = new NpgsqlBatchCommand(PostgresSchema.InsertRecipients);
        var r = recipients.Parameters;
        r.Add(new NpgsqlParameter<string> { TypedValue = message.Id, NpgsqlDbType = NpgsqlDbType.Text });
        r.Add(new NpgsqlParameter<string[]> { TypedValue = addresses, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        r.Add(new NpgsqlParameter<string?[]> { TypedValue = orcpts, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        r.Add(new NpgsqlParameter<short[]> { TypedValue = notifies });
        r.Add(new NpgsqlParameter<string[]> { TypedValue = domains, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        r.Add(new NpgsqlParameter<int[]> { TypedValue = shards });
        r.Add(new NpgsqlParameter<long> { TypedValue = receivedAt });
        r.Add(new NpgsqlParameter<short> { TypedValue = (short)message.Lane });
        r.Add(Text(message.Tenant));
        batch.BatchCommands.Add(recipients);
    }

    // A null goes to the server as a typed NULL, so a NOT NULL column refuses it there (23502): a
    // data error of that message, which the writer then fails alone.
    private static NpgsqlParameter<string?> Text(string? value) => new() { TypedValue = value, NpgsqlDbType = NpgsqlDbType.Text };
}
