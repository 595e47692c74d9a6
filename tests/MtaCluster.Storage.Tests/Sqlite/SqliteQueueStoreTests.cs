using Microsoft.Data.Sqlite;
using MtaCluster.Storage.Sqlite;
using static MtaCluster.Storage.Tests.Sqlite.SqliteQueryPlan;

namespace MtaCluster.Storage.Tests.Sqlite;

/// <summary>The provider contract on a spool file of its own, plus what only SQLite has.</summary>
public sealed class SqliteQueueStoreTests : QueueStoreContractTests, IDisposable
{
    private readonly ScratchDirectory _directory = new();

    private string DatabasePath => _directory.File(SqliteQueueStoreOptions.DefaultFileName);

    protected override IQueueStore CreateStore() => new SqliteQueueStore(SqliteQueueStoreOptions.ForDataDirectory(_directory.Path));

    public void Dispose() => _directory.Dispose();

    private async Task<SqliteQueueStore> OpenSqliteAsync() => (SqliteQueueStore)await OpenStoreAsync();

    [Fact]
    public async Task Told_to_remove_delivered_mail_a_store_deletes_it_with_the_last_outcome_and_completes_the_rest_as_usual()
    {
        await using var store = new SqliteQueueStore(new SqliteQueueStoreOptions { DatabasePath = DatabasePath, RemoveDeliveredOnCompletion = true });
        await store.InitializeAsync();
        var delivered = Message(T0, Rcpt("a@x.test"), Rcpt("b@x.test"));
        var mixed = Message(T0, Rcpt("c@x.test"), Rcpt("d@x.test"));
        var relayed = Message(T0, Rcpt("e@x.test"));
        foreach (var m in new[] { delivered, mixed, relayed }) await store.EnqueueAsync(m);
        var d = await store.GetRecipientsAsync(delivered.Id);
        var x = await store.GetRecipientsAsync(mixed.Id);
        var r = await store.GetRecipientsAsync(relayed.Id);

        Assert.Empty(await store.RecordAttemptsAsync([new RecipientAttempt(d[0].RecipientId, RecipientState.Delivered, T0, "250")]));
        Assert.NotNull(await store.GetMessageAsync(delivered.Id));

        var completed = await store.RecordAttemptsAsync(
        [
            new RecipientAttempt(d[1].RecipientId, RecipientState.Delivered, T0, "250"),
            new RecipientAttempt(x[0].RecipientId, RecipientState.Delivered, T0, "250"),
            new RecipientAttempt(x[1].RecipientId, RecipientState.Failed, T0, "550 5.1.1"),
            new RecipientAttempt(r[0].RecipientId, RecipientState.Relayed, T0, "250"),
        ]);

        // Nothing to report: gone in that transaction, with no completion left to finish.
        Assert.True(Assert.Single(completed, c => c.MessageId == delivered.Id).Removed);
        Assert.Null(await store.GetMessageAsync(delivered.Id));
        Assert.Empty(await store.GetRecipientsAsync(delivered.Id));
        // Something to report: complete, kept for its owner to queue the DSN.
        Assert.Equal(new[] { mixed.Id, relayed.Id }.Order(), completed.Where(c => !c.Removed).Select(c => c.MessageId).Order());
        Assert.Equal(new[] { mixed.Id, relayed.Id }.Order(), (await store.GetCompletedMessagesAsync(null, 10)).Select(c => c.MessageId).Order());
        Assert.NotNull(await store.GetMessageAsync(mixed.Id));
        Assert.Equal(2, (await store.GetStatisticsAsync()).Messages);
    }


    [Fact]
    public async Task Due_queries_are_index_range_scans_without_a_sort()
    {
        var store = await OpenSqliteAsync();
        // Some rows so the plan is not for an empty table.
        for (var i = 0; i < 50; i++)
            await store.EnqueueAsync(Message(T0.AddSeconds(i), Rcpt($"u{i}@d{i % 5}.test", shard: i % 3)));
        await using var connection = await store.OpenReadConnectionAsync();

        var shardPlan = await QueryPlanAsync(connection, SqliteSchema.SelectDueForShard, ("$shard", 1), ("$now", 0L), ("$limit", 10));
        Assert.Contains(shardPlan, d => d.StartsWith("SEARCH recipients USING INDEX ix_recipients_shard_due (shard=? AND state=? AND next_attempt_at<?)", StringComparison.Ordinal));

        var domainPlan = await QueryPlanAsync(connection, SqliteSchema.SelectDueForDomain, ("$domain", "d1.test"), ("$now", 0L), ("$limit", 10));
        Assert.Contains(domainPlan, d => d.StartsWith("SEARCH recipients USING INDEX ix_recipients_domain_due (domain=? AND state=? AND next_attempt_at<?)", StringComparison.Ordinal));

        foreach (var detail in shardPlan.Concat(domainPlan))
        {
            Assert.DoesNotContain("SCAN", detail, StringComparison.Ordinal);
            Assert.DoesNotContain("TEMP B-TREE", detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_pending_domain_walk_is_index_seeks_only()
    {
        var store = await OpenSqliteAsync();
        for (var i = 0; i < 50; i++)
            await store.EnqueueAsync(Message(T0.AddSeconds(i), Rcpt($"u{i}@d{i % 5}.test", shard: i % 3)));
        await using var connection = await store.OpenReadConnectionAsync();

        var plan = await QueryPlanAsync(connection, SqliteSchema.SelectPendingDomainsPage, ("$after", ""), ("$limit", 10));
        // Seeks to the next domain, the earliest pending time of one domain, and one row for its shard.
        Assert.Contains(plan, d => d.StartsWith("SEARCH recipients USING COVERING INDEX ix_recipients_domain_due (domain>?)", StringComparison.Ordinal));
        Assert.Contains(plan, d => d.StartsWith("SEARCH recipients USING COVERING INDEX ix_recipients_domain_due (domain=? AND state=?)", StringComparison.Ordinal));
        Assert.Contains(plan, d => d.StartsWith("SEARCH recipients USING INDEX ix_recipients_domain_due (domain=?)", StringComparison.Ordinal));
        foreach (var detail in plan)
        {
            // "SCAN walk" is the CTE's own rows, one per domain; nothing scans the recipients table.
            Assert.DoesNotContain("SCAN recipients", detail, StringComparison.Ordinal);
            Assert.DoesNotContain("TEMP B-TREE", detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Other_spool_queries_use_indexes()
    {
        var store = await OpenSqliteAsync();
        await using var connection = await store.OpenReadConnectionAsync();

        var next = await QueryPlanAsync(connection, SqliteSchema.SelectNextAttempt, ("$domain", "d.test"));
        Assert.Contains(next, d => d.StartsWith("SEARCH recipients USING COVERING INDEX ix_recipients_domain_due", StringComparison.Ordinal));

        var suspension = await QueryPlanAsync(connection, SqliteSchema.SelectSuspension, ("$domain", "d.test"));
        Assert.Contains(suspension, d => d.StartsWith("SEARCH domain_suspensions USING PRIMARY KEY (domain=?)", StringComparison.Ordinal));

        var ofMessage = await QueryPlanAsync(connection, SqliteSchema.SelectRecipientsOfMessage, ("$id", "X"));
        Assert.Contains(ofMessage, d => d.StartsWith("SEARCH recipients USING INDEX ix_recipients_message (message_id=?)", StringComparison.Ordinal));

        var message = await QueryPlanAsync(connection, SqliteSchema.SelectMessage, ("$id", "X"));
        Assert.Contains(message, d => d.StartsWith("SEARCH messages USING INDEX sqlite_autoindex_messages_1 (id=?)", StringComparison.Ordinal));

        Assert.All(next.Concat(suspension).Concat(ofMessage).Concat(message), d => Assert.DoesNotContain("SCAN", d, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_file_is_in_wal_mode_with_the_current_schema_version()
    {
        var store = await OpenSqliteAsync();
        await using var connection = await store.OpenReadConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", await command.ExecuteScalarAsync());
        command.CommandText = "PRAGMA user_version";
        Assert.Equal((long)SqliteSchema.Version, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task A_file_from_a_newer_schema_is_refused()
    {
        await using (var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = $"PRAGMA user_version = {SqliteSchema.Version + 1}";
            await command.ExecuteNonQueryAsync();
        }
        await using var store = (SqliteQueueStore)CreateStore();
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.InitializeAsync());
    }

    [Fact]
    public async Task A_failure_in_the_middle_of_a_message_inside_a_shared_batch_fails_that_message_only()
    {
        var store = await OpenSqliteAsync();
        await using (var connection = await store.OpenReadConnectionAsync())
        await using (var command = connection.CreateCommand())
        {
            // Fails the second recipient insert of the poisoned message, after its message row and
            // first recipient are already written in the same transaction.
            command.CommandText = """
                CREATE TRIGGER poison BEFORE INSERT ON recipients WHEN NEW.address = 'boom@poison.test'
                BEGIN SELECT RAISE(ABORT, 'poisoned recipient'); END
                """;
            await command.ExecuteNonQueryAsync();
        }

        var poisoned = Message(T0, Rcpt("fine@poison.test"), Rcpt("boom@poison.test"), Rcpt("never@poison.test"));
        var others = Enumerable.Range(0, 40).Select(i => Message(T0, Rcpt($"u{i}@ok.test"))).ToList();
        var before = store.GetGroupCommitStatistics();

        var tasks = others.Take(20).Select(m => store.EnqueueAsync(m))
            .Append(store.EnqueueAsync(poisoned))
            .Concat(others.Skip(20).Select(m => store.EnqueueAsync(m)))
            .ToList();
        await Task.WhenAll(tasks).ContinueWith(_ => { }, TaskScheduler.Default);

        var failure = Assert.IsType<SqliteException>(tasks[20].Exception!.InnerException);
        Assert.Contains("poisoned recipient", failure.Message, StringComparison.Ordinal);
        Assert.All(tasks.Where((_, i) => i != 20), t => Assert.True(t.IsCompletedSuccessfully));
        Assert.Null(await store.GetMessageAsync(poisoned.Id));
        Assert.Empty(await store.GetRecipientsAsync(poisoned.Id));
        Assert.DoesNotContain((await store.GetPendingDomainsAsync(null, 100)).Domains, d => d.Domain == "poison.test");
        Assert.Equal(40, (await store.GetStatisticsAsync()).Messages);
        var after = store.GetGroupCommitStatistics();
        Assert.Equal(1, after.FailedOperations - before.FailedOperations);
        Assert.Equal(40, after.CommittedMessages - before.CommittedMessages);
    }

    [Fact]
    public async Task Cancellation_counts_only_while_the_write_waits_for_its_batch()
    {
        var store = await OpenSqliteAsync();
        var inBatch = Message(T0, Rcpt("in-batch@one.test"));
        var waiting = Message(T0, Rcpt("waiting@one.test"));
        using var inBatchCancellation = new CancellationTokenSource();
        using var waitingCancellation = new CancellationTokenSource();

        Task inBatchTask;
        Task waitingTask;
        await using (var blocker = new SqliteConnection($"Data Source={DatabasePath};Pooling=False"))
        {
            await blocker.OpenAsync();
            await using var command = blocker.CreateCommand();
            // Another connection holds the write lock, so the writer's batch stalls in BEGIN.
            command.CommandText = "BEGIN IMMEDIATE";
            await command.ExecuteNonQueryAsync();

            var started = store.BatchesStarted;
            inBatchTask = store.EnqueueAsync(inBatch, inBatchCancellation.Token);
            var deadline = DateTime.UtcNow.AddSeconds(5);
            while (store.BatchesStarted == started && DateTime.UtcNow < deadline)
                await Task.Delay(5);
            Assert.Equal(started + 1, store.BatchesStarted);

            waitingTask = store.EnqueueAsync(waiting, waitingCancellation.Token);
            waitingCancellation.Cancel();
            inBatchCancellation.Cancel();

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waitingTask);
            Assert.False(inBatchTask.IsCompleted);

            command.CommandText = "ROLLBACK";
            await command.ExecuteNonQueryAsync();
        }

        await inBatchTask;
        Assert.NotNull(await store.GetMessageAsync(inBatch.Id));
        Assert.Null(await store.GetMessageAsync(waiting.Id));
        Assert.Equal(1, (await store.GetStatisticsAsync()).Messages);
    }

    [Fact]
    public async Task A_lock_held_elsewhere_fails_the_whole_batch_at_once_and_the_store_recovers()
    {
        await using var store = new SqliteQueueStore(new SqliteQueueStoreOptions { DatabasePath = DatabasePath, BusyTimeout = TimeSpan.FromMilliseconds(200) });
        await store.InitializeAsync();
        var messages = Enumerable.Range(0, 20).Select(i => Message(T0, Rcpt($"u{i}@one.test"))).ToList();

        var clock = System.Diagnostics.Stopwatch.StartNew();
        List<Task> tasks;
        await using (var blocker = new SqliteConnection($"Data Source={DatabasePath};Pooling=False"))
        {
            await blocker.OpenAsync();
            await using var command = blocker.CreateCommand();
            command.CommandText = "BEGIN IMMEDIATE";
            await command.ExecuteNonQueryAsync();

            tasks = messages.Select(m => store.EnqueueAsync(m)).ToList();
            await Task.WhenAll(tasks).ContinueWith(_ => { }, TaskScheduler.Default);
            clock.Stop();

            command.CommandText = "ROLLBACK";
            await command.ExecuteNonQueryAsync();
        }

        Assert.All(tasks, t => Assert.Equal(SQLitePCL.raw.SQLITE_BUSY, Assert.IsType<SqliteException>(t.Exception!.InnerException).SqliteErrorCode));
        // A few lock waits in all, not one per caller.
        Assert.InRange(store.GetGroupCommitStatistics().FailedOperations, 20, 20);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), clock.Elapsed.ToString());
        Assert.Equal(0, (await store.GetStatisticsAsync()).Messages);

        await store.EnqueueAsync(messages[0]);
        Assert.NotNull(await store.GetMessageAsync(messages[0].Id));
    }

    [Fact]
    public async Task Options_for_a_data_directory_name_the_spool_file_and_create_the_directory()
    {
        var nested = Path.Combine(_directory.Path, "node-a", "data");
        var options = SqliteQueueStoreOptions.ForDataDirectory(nested);
        Assert.Equal(Path.Combine(nested, "spool.db"), options.DatabasePath);
        await using var store = new SqliteQueueStore(options);
        await store.InitializeAsync();
        Assert.True(File.Exists(options.DatabasePath));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SqliteQueueStore(new SqliteQueueStoreOptions { DatabasePath = "x.db", MaxBatchSize = 0 }));
    }

    [Fact]
    public async Task Writes_before_initialize_are_refused()
    {
        await using var store = (SqliteQueueStore)CreateStore();
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.EnqueueAsync(Message(T0, Rcpt("a@one.test"))));
    }

    [Fact]
    public async Task Batches_never_exceed_the_configured_size()
    {
        await using var store = new SqliteQueueStore(new SqliteQueueStoreOptions { DatabasePath = DatabasePath, MaxBatchSize = 8 });
        await store.InitializeAsync();
        await Task.WhenAll(Enumerable.Range(0, 400).Select(i => store.EnqueueAsync(Message(T0, Rcpt($"u{i}@one.test")))));
        var stats = store.GetGroupCommitStatistics();
        Assert.Equal(400, stats.CommittedMessages);
        Assert.InRange(stats.LargestBatch, 2, 8);
        Assert.True(stats.CommittedBatches >= 50);
    }

    [Fact]
    public async Task Completion_checks_are_index_seeks()
    {
        var store = await OpenSqliteAsync();
        await using var connection = await store.OpenReadConnectionAsync();
        var mark = string.Join(" | ", await QueryPlanAsync(connection, SqliteSchema.MarkCompleteIfLast,
            ("$message_id", "M1"), ("$now", 0L)));
        Assert.DoesNotContain("SCAN", mark);
        Assert.Contains("ix_recipients_message", mark);
        var completed = string.Join(" | ", await QueryPlanAsync(connection, SqliteSchema.SelectCompletedForShard, ("$shard", 1), ("$limit", 10)));
        Assert.Contains("ix_completions_due", completed);
        Assert.DoesNotContain("TEMP B-TREE", completed);
    }

    [Fact]
    public async Task Removed_mail_gives_its_pages_back_to_the_file_system()
    {
        // Quiet-time upkeep off, so only the call below can hand pages back.
        var store = new SqliteQueueStore(new SqliteQueueStoreOptions { DatabasePath = DatabasePath, ReclaimInterval = TimeSpan.Zero });
        await store.InitializeAsync();
        await using var _ = store;
        var ids = new List<string>();
        for (var i = 0; i < 40; i++)
        {
            var message = new SpoolMessage(QueueId.New(), "s@example.org", [Rcpt($"r{i}@x.test")], Body(256 * 1024, i), T0);
            await store.EnqueueAsync(message);
            ids.Add(message.Id);
        }
        await Checkpoint(store);
        var full = new FileInfo(DatabasePath).Length;
        foreach (var id in ids)
            await store.DeleteMessageAsync(id);
        Assert.True((await store.GetSpaceAsync()).FreeBytes >= 30L * 256 * 1024, "deleted bodies become free pages");

        await store.ReclaimFreeSpaceAsync(int.MaxValue);
        await Checkpoint(store);
        var space = await store.GetSpaceAsync();
        Assert.True(space.FreeBytes < 64 * 1024, $"free pages left after reclaiming: {space.FreeBytes}");
        Assert.True(new FileInfo(DatabasePath).Length < full / 4, $"file {new FileInfo(DatabasePath).Length} bytes after reclaiming, {full} when full");
    }

    private static async Task Checkpoint(SqliteQueueStore store)
    {
        // TRUNCATE copies every logged page into the file and empties the log, so the file's length is the spool's size.
        await using var connection = await store.OpenReadConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
        await command.ExecuteNonQueryAsync();
    }
}
