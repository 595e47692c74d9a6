using MtaCluster.Mail;
using MtaCluster.Storage.Postgres;
using MtaCluster.Testing;

namespace MtaCluster.Storage.Tests.Postgres;

/// <summary>What only the PostgreSQL provider has: several nodes on one database, a server that goes away, sliced body reads.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresQueueStoreTests(PostgresServerFixture fixture) : PostgresStoreTests(fixture)
{
    [Fact]
    public async Task Nodes_initializing_one_new_database_together_all_start_and_migrate_it_once()
    {
        var stores = Enumerable.Range(0, 6).Select(_ => CreateStore()).ToList();

        await Task.WhenAll(stores.Select(s => Task.Run(() => s.InitializeAsync())));

        Assert.Equal("1", (await PsqlAsync("SELECT count(*) FROM spool_schema")).Trim());
        Assert.Equal("1", (await PsqlAsync("SELECT version FROM spool_schema")).Trim());
        await stores[3].EnqueueAsync(Message(1, Rcpt("a@x.test", 1)));
        Assert.Equal(1, (await stores[0].GetStatisticsAsync()).Messages);
    }

    [Fact]
    public async Task A_database_of_a_newer_schema_is_refused()
    {
        await OpenStoreAsync();
        await PsqlAsync("UPDATE spool_schema SET version = 99");
        var exception = await Assert.ThrowsAsync<InvalidOperationException>(() => CreateStore().InitializeAsync());
        Assert.Contains("99", exception.Message);
    }

    [Fact]
    public async Task Two_nodes_recording_the_last_outcomes_of_one_message_at_once_complete_it_exactly_once()
    {
        var nodeA = await OpenStoreAsync();
        var nodeB = await OpenStoreAsync();
        var messages = new List<SpoolMessage>();
        for (var i = 0; i < 40; i++)
        {
            var message = Message(i % 4, Rcpt($"a{i}@one.test", 1), Rcpt($"b{i}@two.test", 2));
            await nodeA.EnqueueAsync(message);
            messages.Add(message);
        }

        var completions = await Task.WhenAll(messages.Select(async m =>
        {
            var rs = await nodeA.GetRecipientsAsync(m.Id);
            // The two domains' owners are different nodes: each records its own recipient, at the same time.
            var results = await Task.WhenAll(
                Task.Run(() => nodeA.RecordAttemptsAsync([Outcome(rs[0], RecipientState.Delivered)])),
                Task.Run(() => nodeB.RecordAttemptsAsync([Outcome(rs[1], RecipientState.Failed, "550 no")])));
            return results.Sum(r => r.Count);
        }));

        Assert.All(completions, count => Assert.Equal(1, count));
        var completed = await nodeA.GetCompletedMessagesAsync(null, 100);
        Assert.Equal(messages.Select(m => m.Id).Order(), completed.Select(c => c.MessageId).Order());
        Assert.All(completed, c => Assert.Equal(1, c.Reportable));
    }

    [Fact]
    public async Task Told_to_remove_delivered_mail_a_store_deletes_it_with_the_last_outcome_and_completes_the_rest_as_usual()
    {
        var store = await OpenStoreAsync(removeDelivered: true);
        var delivered = Message(3, Rcpt("a@x.test", 1), Rcpt("b@x.test", 1));
        var mixed = Message(4, Rcpt("c@x.test", 1), Rcpt("d@x.test", 1));
        foreach (var m in new[] { delivered, mixed }) await store.EnqueueAsync(m);
        var d = await store.GetRecipientsAsync(delivered.Id);
        var x = await store.GetRecipientsAsync(mixed.Id);

        Assert.Empty(await store.RecordAttemptsAsync([Outcome(d[0], RecipientState.Delivered)]));
        var completed = await store.RecordAttemptsAsync(
        [
            Outcome(d[1], RecipientState.Delivered),
            Outcome(x[0], RecipientState.Delivered),
            Outcome(x[1], RecipientState.Failed, "550 5.1.1"),
        ]);

        var removed = Assert.Single(completed, c => c.MessageId == delivered.Id);
        Assert.True(removed.Removed);
        Assert.Equal(3, removed.Shard);
        Assert.Null(await store.GetMessageAsync(delivered.Id));
        Assert.Empty(await store.GetRecipientsAsync(delivered.Id));
        Assert.False(Assert.Single(completed, c => c.MessageId == mixed.Id).Removed);
        Assert.Equal([mixed.Id], (await store.GetCompletedMessagesAsync(4, 10)).Select(c => c.MessageId));
        Assert.Equal(1, (await store.GetStatisticsAsync()).Messages);
    }

    [Fact]
    public async Task A_body_stream_reads_any_slice_of_a_large_body_from_where_it_is_positioned()
    {
        var store = await OpenStoreAsync();
        var body = new byte[3_000_000];
        new Random(5).NextBytes(body);
        var message = new SpoolMessage(QueueId.New(), "s@example.org", [Rcpt("a@x.test", 1)], body, T0);
        await store.EnqueueAsync(message);
        // Stored uncompressed out of line, so a slice reads only the TOAST chunks it covers.
        Assert.Equal("e", (await PsqlAsync("SELECT attstorage FROM pg_attribute WHERE attrelid = 'messages'::regclass AND attname = 'body'")).Trim());

        var stored = await store.GetMessageAsync(message.Id);
        await using var stream = (await stored!.Body.OpenReadAsync())!;
        var header = new byte[100];
        await stream.ReadExactlyAsync(header);
        Assert.Equal(body[..100], header);
        foreach (var offset in new[] { 0L, 1, 262_143, 262_144, 1_234_567, 2_999_000 })
        {
            stream.Position = offset;
            var slice = new byte[Math.Min(5000, body.Length - (int)offset)];
            await stream.ReadExactlyAsync(slice);
            Assert.True(body.AsSpan((int)offset, slice.Length).SequenceEqual(slice), $"slice at {offset}");
        }
        stream.Seek(-10, SeekOrigin.End);
        var tail = new byte[20];
        Assert.Equal(10, await stream.ReadAtLeastAsync(tail, 20, throwOnEndOfStream: false));
        Assert.Equal(body[^10..], tail[..10]);
    }

    [Fact]
    public async Task While_the_server_is_away_writes_fail_rather_than_hang_and_after_its_restart_the_same_store_works_again()
    {
        var store = await OpenStoreAsync();
        var before = Message(1, Rcpt("a@x.test", 1));
        await store.EnqueueAsync(before);

        await Server.CrashAsync();
        try
        {
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await Assert.ThrowsAnyAsync<Exception>(() => store.EnqueueAsync(Message(1, Rcpt("b@x.test", 1)), patience.Token));
            await Assert.ThrowsAnyAsync<Exception>(() => store.GetStatisticsAsync(patience.Token));
        }
        finally
        {
            await Server.StartAsync();
        }

        // Pooled connections broken by the crash are dropped as they fail; the store needs no reopening.
        var after = Message(1, Rcpt("c@x.test", 1));
        await Poll.UntilAsync(async () =>
        {
            try
            {
                await store.EnqueueAsync(after);
                return true;
            }
            catch (Exception exception) when (exception is Npgsql.NpgsqlException or InvalidOperationException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(60), "an enqueue to succeed after the restart");
        Assert.NotNull(await store.GetMessageAsync(before.Id));
        Assert.NotNull(await store.GetMessageAsync(after.Id));
    }
}
