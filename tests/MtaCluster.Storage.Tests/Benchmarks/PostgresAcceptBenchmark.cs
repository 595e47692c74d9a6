using System.Diagnostics;
using System.Text;
using System.Threading.Channels;
using MtaCluster.Storage.Postgres;
using Npgsql;
using NpgsqlTypes;

namespace MtaCluster.Storage.Tests.Benchmarks;

/// <summary>How one group-committed transaction writes its messages, recipients and bodies.</summary>
public enum PostgresAcceptStrategy
{
    /// <summary>Two binary COPYs (messages with bytea bodies, then recipients).</summary>
    CopyBytea,
    /// <summary>One multi-row INSERT for the messages and one for the recipients, bodies as bytea parameters.</summary>
    MultiRowInsertBytea,
    /// <summary>An NpgsqlBatch of one INSERT per message and per recipient, bodies as bytea parameters .</summary>
    BatchBytea,
    /// <summary>As <see cref="BatchBytea"/>, the body stored as a large object (<c>lo_from_bytea</c>) and its oid in the row.</summary>
    BatchLargeObject,
    /// <summary>The store's own (run last, so it does not pay the process's JIT warm-up): an NpgsqlBatch of one INSERT per message and one unnest INSERT of its recipients.</summary>
    StoreBatch,
}

public sealed record PostgresAcceptResult(PostgresAcceptStrategy Strategy, int BodySize, int Producers, int Messages, TimeSpan Elapsed, long Transactions)
{
    public double MessagesPerSecond => Messages / Elapsed.TotalSeconds;

    public override string ToString() =>
        $"| {Strategy,-19} | {BodySize / 1024,4} KiB | {Producers,4} | {Messages,6} | {MessagesPerSecond,8:N0} | {Transactions,5} | {(double)Messages / Transactions,6:N1} |";

    public const string Header =
        "| strategy            | body     | prod | msgs   | msgs/s   | txns  | avg    |\n" +
        "|---------------------|----------|------|--------|----------|-------|--------|";
}

/// <summary>
/// Accept throughput of the ways a PostgreSQL writer can store a batch: N producers each storing one
/// message at a time and waiting for its commit (as an SMTP session waits before its 250), one loop
/// taking whatever waits (up to 256) into one transaction with synchronous_commit on, on a fresh
/// database with the store's schema.
/// </summary>
public static class PostgresAcceptBenchmark
{
    public static async Task<PostgresAcceptResult> RunAsync(string connectionString, PostgresAcceptStrategy strategy, int bodySize, int producers, int messages)
    {
        await using (var store = new PostgresQueueStore(new PostgresQueueStoreOptions { ConnectionString = connectionString }))
            await store.InitializeAsync();
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.ConnectionStringBuilder.Options = "-c synchronous_commit=on";
        builder.ConnectionStringBuilder.MaxAutoPrepare = 64;
        await using var dataSource = builder.Build();
        if (strategy == PostgresAcceptStrategy.BatchLargeObject)
        {
            await using var alter = dataSource.CreateCommand("ALTER TABLE messages DROP COLUMN body; ALTER TABLE messages ADD COLUMN body oid NOT NULL");
            await alter.ExecuteNonQueryAsync();
        }

        var body = new byte[bodySize];
        new Random(42).NextBytes(body);
        var queue = Channel.CreateUnbounded<(SpoolMessage Message, TaskCompletionSource Done)>(new UnboundedChannelOptions { SingleReader = true });
        long transactions = 0;
        var loop = Task.Run(async () =>
        {
            var batch = new List<(SpoolMessage Message, TaskCompletionSource Done)>();
            var rows = new List<SpoolMessage>();
            while (await queue.Reader.WaitToReadAsync())
            {
                while (batch.Count < 256 && queue.Reader.TryRead(out var item)) batch.Add(item);
                rows.Clear();
                rows.AddRange(batch.Select(b => b.Message));
                await using (var connection = await dataSource.OpenConnectionAsync())
                await using (var transaction = await connection.BeginTransactionAsync())
                {
                    await WriteAsync(strategy, connection, rows);
                    await transaction.CommitAsync();
                }
                transactions++;
                foreach (var (_, done) in batch) done.SetResult();
                batch.Clear();
            }
        });

        async Task Produce(int count)
        {
            for (var i = 0; i < count; i++)
            {
                var message = new SpoolMessage(QueueId.New(), "bench@example.org", [new SpoolRecipient($"u{i}@example.com", "example.com", 7)], body, DateTimeOffset.UtcNow, Shard: 3);
                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                await queue.Writer.WriteAsync((message, done));
                await done.Task;
            }
        }

        await Task.WhenAll(Enumerable.Range(0, Math.Min(producers, 8)).Select(_ => Produce(2)));
        transactions = 0;
        var perProducer = Math.Max(1, messages / producers);
        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, producers).Select(_ => Task.Run(() => Produce(perProducer))));
        stopwatch.Stop();
        queue.Writer.Complete();
        await loop;
        return new PostgresAcceptResult(strategy, bodySize, producers, perProducer * producers, stopwatch.Elapsed, transactions);
    }

    private static Task WriteAsync(PostgresAcceptStrategy strategy, NpgsqlConnection connection, List<SpoolMessage> messages) => strategy switch
    {
        PostgresAcceptStrategy.StoreBatch => PostgresMessageBatch.InsertAsync(connection, messages, null, CancellationToken.None),
        PostgresAcceptStrategy.CopyBytea => PostgresMessageCopy.InsertAsync(connection, messages, CancellationToken.None),
        PostgresAcceptStrategy.MultiRowInsertBytea => MultiRowInsertAsync(connection, messages),
        _ => BatchInsertAsync(connection, messages, largeObject: strategy == PostgresAcceptStrategy.BatchLargeObject),
    };

    private const string MessageColumns = "id, reverse_path, body_type, smtputf8, ret, envid, received_at, size, client_address, auth_user, shard, tenant, lane, campaign, body";
    private const string RecipientColumns = "message_id, address, orcpt, notify, domain, shard, state, attempts, next_attempt_at, queued_at, lane, tenant";

    private static void AddMessage(NpgsqlParameterCollection parameters, SpoolMessage m)
    {
        parameters.Add(new NpgsqlParameter<string> { TypedValue = m.Id });
        parameters.Add(new NpgsqlParameter<string> { TypedValue = m.ReversePath });
        parameters.Add(new NpgsqlParameter<short> { TypedValue = 0 });
        parameters.Add(new NpgsqlParameter<bool> { TypedValue = m.SmtpUtf8 });
        parameters.Add(new NpgsqlParameter<short> { TypedValue = 0 });
        parameters.Add(new NpgsqlParameter<string?> { TypedValue = m.EnvelopeId, NpgsqlDbType = NpgsqlDbType.Text });
        parameters.Add(new NpgsqlParameter<long> { TypedValue = m.ReceivedAt.ToUnixTimeMilliseconds() });
        parameters.Add(new NpgsqlParameter<long> { TypedValue = m.Content.Length });
        parameters.Add(new NpgsqlParameter<string?> { TypedValue = m.ClientAddress, NpgsqlDbType = NpgsqlDbType.Text });
        parameters.Add(new NpgsqlParameter<string?> { TypedValue = m.AuthenticatedUser, NpgsqlDbType = NpgsqlDbType.Text });
        parameters.Add(new NpgsqlParameter<int> { TypedValue = m.Shard });
        parameters.Add(new NpgsqlParameter<string> { TypedValue = m.Tenant });
        parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)m.Lane });
        parameters.Add(new NpgsqlParameter<string?> { TypedValue = m.Campaign, NpgsqlDbType = NpgsqlDbType.Text });
        parameters.Add(new NpgsqlParameter<ReadOnlyMemory<byte>> { TypedValue = m.Content.Body.First, NpgsqlDbType = NpgsqlDbType.Bytea });
    }

    private static void AddRecipient(NpgsqlParameterCollection parameters, SpoolMessage m, SpoolRecipient r)
    {
        parameters.Add(new NpgsqlParameter<string> { TypedValue = m.Id });
        parameters.Add(new NpgsqlParameter<string> { TypedValue = r.Address });
        parameters.Add(new NpgsqlParameter<string?> { TypedValue = r.OriginalRecipient, NpgsqlDbType = NpgsqlDbType.Text });
        parameters.Add(new NpgsqlParameter<short> { TypedValue = 0 });
        parameters.Add(new NpgsqlParameter<string> { TypedValue = r.Domain });
        parameters.Add(new NpgsqlParameter<int> { TypedValue = r.Shard });
        parameters.Add(new NpgsqlParameter<short> { TypedValue = 0 });
        parameters.Add(new NpgsqlParameter<int> { TypedValue = 0 });
        parameters.Add(new NpgsqlParameter<long> { TypedValue = m.ReceivedAt.ToUnixTimeMilliseconds() });
        parameters.Add(new NpgsqlParameter<long> { TypedValue = m.ReceivedAt.ToUnixTimeMilliseconds() });
        parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)m.Lane });
        parameters.Add(new NpgsqlParameter<string> { TypedValue = m.Tenant });
    }

    private static string Values(int rows, int columns, int first = 1, string? lastColumn = null)
    {
        var sql = new StringBuilder();
        var n = first;
        for (var row = 0; row < rows; row++)
        {
            sql.Append(row == 0 ? "(" : ", (");
            for (var column = 0; column < columns; column++)
            {
                if (column > 0) sql.Append(", ");
                var placeholder = $"${n++}";
                sql.Append(column == columns - 1 && lastColumn is not null ? string.Format(lastColumn, placeholder) : placeholder);
            }
            sql.Append(')');
        }
        return sql.ToString();
    }

    private static async Task MultiRowInsertAsync(NpgsqlConnection connection, List<SpoolMessage> messages)
    {
        await using (var insert = new NpgsqlCommand($"INSERT INTO messages ({MessageColumns}) VALUES {Values(messages.Count, 15)}", connection))
        {
            foreach (var m in messages) AddMessage(insert.Parameters, m);
            await insert.ExecuteNonQueryAsync();
        }
        var recipients = messages.Sum(m => m.Recipients.Count);
        await using (var insert = new NpgsqlCommand($"INSERT INTO recipients ({RecipientColumns}) VALUES {Values(recipients, 12)}", connection))
        {
            foreach (var m in messages)
                foreach (var r in m.Recipients) AddRecipient(insert.Parameters, m, r);
            await insert.ExecuteNonQueryAsync();
        }
    }

    private static async Task BatchInsertAsync(NpgsqlConnection connection, List<SpoolMessage> messages, bool largeObject)
    {
        var messageSql = $"INSERT INTO messages ({MessageColumns}) VALUES {Values(1, 15, lastColumn: largeObject ? "lo_from_bytea(0, {0})" : null)}";
        var recipientSql = $"INSERT INTO recipients ({RecipientColumns}) VALUES {Values(1, 12)}";
        await using var batch = new NpgsqlBatch(connection);
        foreach (var m in messages)
        {
            var command = new NpgsqlBatchCommand(messageSql);
            AddMessage(command.Parameters, m);
            batch.BatchCommands.Add(command);
            foreach (var r in m.Recipients)
            {
                var recipient = new NpgsqlBatchCommand(recipientSql);
                AddRecipient(recipient.Parameters, m, r);
                batch.BatchCommands.Add(recipient);
            }
        }
        await batch.ExecuteNonQueryAsync();
    }
}
