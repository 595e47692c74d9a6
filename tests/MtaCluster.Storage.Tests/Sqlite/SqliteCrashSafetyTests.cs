using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using MtaCluster.Storage.Sqlite;

namespace MtaCluster.Storage.Tests.Sqlite;

/// <summary>What another process finds in the spool file when a writer stops abruptly or is shut down under load.</summary>
public sealed class SqliteCrashSafetyTests : IDisposable
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_767_225_600_000);
    private readonly ScratchDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private SqliteQueueStore NewStore() => new(SqliteQueueStoreOptions.ForDataDirectory(_directory.Path));

    private static SpoolMessage NewMessage(int recipients, int bodySize, int seed) =>
        new(QueueId.New(), "sender@example.org",
            Enumerable.Range(0, recipients).Select(i => new SpoolRecipient($"r{i}-{seed}@d{seed % 9}.test", $"d{seed % 9}.test", seed % 16)).ToList(),
            BodyOf(bodySize, seed), T0.AddMilliseconds(seed));

    private static byte[] BodyOf(int size, int seed)
    {
        var body = new byte[size];
        new Random(seed).NextBytes(body);
        return body;
    }

    [Fact]
    public async Task Acknowledged_enqueues_are_readable_by_a_new_instance_while_the_writer_is_still_open()
    {
        // The first instance is never disposed before the check: its file and WAL stay exactly as a
        // killed process would leave them, and a second instance must find every acknowledged message.
        var abandoned = NewStore();
        await abandoned.InitializeAsync();
        var acknowledged = new ConcurrentBag<SpoolMessage>();
        await Task.WhenAll(Enumerable.Range(0, 20).Select(p => Task.Run(async () =>
        {
            for (var i = 0; i < 25; i++)
            {
                var m = NewMessage(3, 1500 + i, p * 100 + i);
                await abandoned.EnqueueAsync(m);
                acknowledged.Add(m);
            }
        })));

        await using var survivor = NewStore();
        await survivor.InitializeAsync();
        try
        {
            Assert.Equal(new QueueStatistics(500, 1500, 0, 0, 0), await survivor.GetStatisticsAsync());
            foreach (var m in acknowledged)
            {
                var stored = await survivor.GetMessageAsync(m.Id);
                Assert.NotNull(stored);
                Assert.Equal(m.Content.ToArray(), await stored.Body.ReadAllBytesAsync());
                Assert.Equal(m.Recipients.Select(r => r.Address), (await survivor.GetRecipientsAsync(m.Id)).Select(r => r.Address));
            }

            // Both writers on one file take turns through the lock instead of failing.
            await Task.WhenAll(
                survivor.EnqueueAsync(NewMessage(1, 100, 9001)),
                abandoned.EnqueueAsync(NewMessage(1, 100, 9002)));
            Assert.Equal(502, (await survivor.GetStatisticsAsync()).Messages);
        }
        finally
        {
            await abandoned.DisposeAsync();
        }
    }

    [Fact]
    public async Task Disposing_under_load_leaves_whole_messages_or_none()
    {
        const int recipientsPerMessage = 5;
        var store = NewStore();
        await store.InitializeAsync();
        var stored = new ConcurrentBag<SpoolMessage>();
        var refused = new ConcurrentBag<SpoolMessage>();
        var seed = 0;

        var producers = Enumerable.Range(0, 30).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                var n = Interlocked.Increment(ref seed);
                var m = NewMessage(recipientsPerMessage, 512 + n % 4096, n);
                try
                {
                    await store.EnqueueAsync(m);
                    stored.Add(m);
                }
                catch (ObjectDisposedException)
                {
                    refused.Add(m);
                    return;
                }
            }
        })).ToList();

        while (stored.Count < 300)
            await Task.Delay(5);
        await store.DisposeAsync();
        await Task.WhenAll(producers);

        await using var reopened = NewStore();
        await reopened.InitializeAsync();
        Assert.Equal(stored.Count, (await reopened.GetStatisticsAsync()).Messages);
        foreach (var m in stored)
        {
            var found = await reopened.GetMessageAsync(m.Id);
            Assert.NotNull(found);
            Assert.Equal(m.Content.ToArray(), await found.Body.ReadAllBytesAsync());
            Assert.Equal(recipientsPerMessage, (await reopened.GetRecipientsAsync(m.Id)).Count);
        }
        foreach (var m in refused)
            Assert.Null(await reopened.GetMessageAsync(m.Id));

        await using var connection = await reopened.OpenReadConnectionAsync();
        Assert.Equal("ok", await ScalarAsync(connection, "PRAGMA integrity_check"));
        Assert.Null(await ScalarAsync(connection, "PRAGMA foreign_key_check"));
        Assert.Equal(0L, await ScalarAsync(connection,
            $"SELECT COUNT(*) FROM messages m WHERE (SELECT COUNT(*) FROM recipients r WHERE r.message_id = m.id) <> {recipientsPerMessage}"));
        Assert.Equal(0L, await ScalarAsync(connection,
            "SELECT COUNT(*) FROM recipients r WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = r.message_id)"));
    }

    [Fact]
    public async Task A_transaction_cut_off_before_commit_leaves_nothing()
    {
        await using (var store = NewStore())
            await store.InitializeAsync();

        var id = QueueId.New();
        // A writer that dies mid-transaction: its connection goes away with the message row and
        // part of the recipients written but no COMMIT.
        await using (var dying = new SqliteConnection($"Data Source={_directory.File(SqliteQueueStoreOptions.DefaultFileName)};Pooling=False"))
        {
            await dying.OpenAsync();
            await ExecuteAsync(dying, "BEGIN IMMEDIATE");
            await ExecuteAsync(dying, $"INSERT INTO messages (id, reverse_path, body_type, smtputf8, ret, received_at, size, body) VALUES ('{id}', '', 0, 0, 0, 0, 1, x'00')");
            await ExecuteAsync(dying, $"INSERT INTO recipients (message_id, address, notify, domain, shard, state, next_attempt_at, queued_at) VALUES ('{id}', 'a@x.test', 0, 'x.test', 1, 0, 0, 0)");
        }

        await using var reopened = NewStore();
        await reopened.InitializeAsync();
        Assert.Null(await reopened.GetMessageAsync(id));
        Assert.Empty(await reopened.GetRecipientsAsync(id));
    }

    private static async Task<object?> ScalarAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
