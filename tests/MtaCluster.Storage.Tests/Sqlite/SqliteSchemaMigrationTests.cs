using Microsoft.Data.Sqlite;
using MtaCluster.Storage.Sqlite;
using MtaCluster.Testing;

namespace MtaCluster.Storage.Tests.Sqlite;

/// <summary>A spool file written by an earlier build opens in place, keeps its mail, and gains what the current schema added.</summary>
public sealed class SqliteSchemaMigrationTests : IDisposable
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_767_225_600_000);

    private readonly ScratchDirectory _directory = new();

    private string DatabasePath => _directory.File(SqliteQueueStoreOptions.DefaultFileName);

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task A_file_of_an_earlier_version_is_upgraded_in_place_and_its_recipients_read_zero_local_failures(int version)
    {
        await WriteOldSpoolAsync(version);

        await using var store = new SqliteQueueStore(SqliteQueueStoreOptions.ForDataDirectory(_directory.Path));
        await store.InitializeAsync();

        var recipients = await store.GetRecipientsAsync("OLD1");
        Assert.Equal(["a@one.test", "b@one.test"], recipients.Select(r => r.Address));
        Assert.All(recipients, r => Assert.Equal(0, r.LocalFailures));
        // What the old build stored reads back unchanged around the new column.
        Assert.Equal((3, "451 4.3.0 local error delivering the message (2 of 3 in a row): old", RecipientState.Pending),
            (recipients[0].Attempts, recipients[0].LastReply, recipients[0].State));
        Assert.Equal((1, "250 ok", RecipientState.Delivered), (recipients[1].Attempts, recipients[1].LastReply, recipients[1].State));
        Assert.Equal("rfc822;a@one.test", recipients[0].OriginalRecipient);
        Assert.Equal(T0.AddMinutes(5), recipients[0].NextAttemptAt);
        Assert.Equal(T0, recipients[0].QueuedAt);
        Assert.Equal(0, Assert.Single(await store.GetDueRecipientsAsync(7, T0.AddHours(1), 10)).LocalFailures);
        Assert.Equal(0, Assert.Single(await store.GetDueRecipientsForDomainAsync("one.test", T0.AddHours(1), 10)).LocalFailures);
        // Version 5: what an older build queued is bulk mail of tenant default, in that one queue of its domain.
        Assert.All(recipients, r => Assert.Equal((MtaCluster.Mail.DeliveryLane.Bulk, "default"), (r.Lane, r.Tenant)));
        Assert.Equal([new LaneQueue(MtaCluster.Mail.DeliveryLane.Bulk, "default", T0.AddMinutes(5))], await store.GetLaneQueuesAsync("one.test"));
        Assert.Single(await store.GetDueRecipientsForDomainAsync("one.test", MtaCluster.Mail.DeliveryLane.Bulk, "default", T0.AddHours(1), 10));
        var old = await store.GetMessageAsync("OLD1");
        Assert.Equal(("default", MtaCluster.Mail.DeliveryLane.Bulk, (string?)null), (old!.Tenant, old.Lane, old.Campaign));

        // The upgraded file takes the new column and every table of the current version.
        await store.RecordAttemptsAsync([new RecipientAttempt(recipients[0].RecipientId, RecipientState.Pending, T0.AddMinutes(10), "451 4.3.0 local error", LocalFailures: 1)]);
        Assert.Equal(1, (await store.GetRecipientsAsync("OLD1"))[0].LocalFailures);
        Assert.Equal(4, await store.GetOrStoreShardCountAsync(4));
        await store.SuspendDomainAsync(new DomainSuspension("one.test", T0));
        Assert.NotNull(await store.GetDomainSuspensionAsync("one.test"));

        await using var connection = await store.OpenReadConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA user_version";
        Assert.Equal((long)SqliteSchema.Version, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task A_file_upgraded_from_version_4_reads_its_lanes_without_the_lane_index_until_the_deferred_build_makes_it()
    {
        await WriteOldSpoolAsync(4);
        var options = new SqliteQueueStoreOptions { DatabasePath = DatabasePath, DeferUpgradeWork = true };
        await using (var store = new SqliteQueueStore(options))
        {
            await store.InitializeAsync();
            // Opening did not read every recipient row to build it.
            Assert.False(store.HasLaneIndex);
            Assert.Equal(0L, await ScalarAsync(store, SqliteSchema.LaneIndexExists.Replace("SELECT 1", "SELECT COUNT(*)", StringComparison.Ordinal)));

            // Mail accepted meanwhile has its own queue beside the old one, read without the index.
            var fresh = new SpoolMessage(QueueId.New(), "app@example.org", [new SpoolRecipient("t@one.test", "one.test", 7)], "Subject: x\r\n\r\nbody\r\n"u8.ToArray(), T0,
                Tenant: "acme", Lane: MtaCluster.Mail.DeliveryLane.Transactional);
            await store.EnqueueAsync(fresh);
            LaneQueue[] expected =
            [
                new(MtaCluster.Mail.DeliveryLane.Bulk, "default", T0.AddMinutes(5)),
                new(MtaCluster.Mail.DeliveryLane.Transactional, "acme", T0),
            ];
            Assert.Equal(expected, await store.GetLaneQueuesAsync("one.test"));
            Assert.Equal(["a@one.test"], (await store.GetDueRecipientsForDomainAsync("one.test", MtaCluster.Mail.DeliveryLane.Bulk, "default", T0.AddHours(1), 10)).Select(r => r.Address));
            Assert.Equal(["t@one.test"], (await store.GetDueRecipientsForDomainAsync("one.test", MtaCluster.Mail.DeliveryLane.Transactional, "acme", T0.AddHours(1), 10)).Select(r => r.Address));

            // Both reads are range scans of the domain's due index meanwhile: slower on a big domain, never a scan of the table.
            await using (var connection = await store.OpenReadConnectionAsync())
            {
                var queues = await SqliteQueryPlan.QueryPlanAsync(connection, SqliteSchema.SelectLaneQueuesWithoutLaneIndex, ("$domain", "one.test"));
                Assert.Contains(queues, d => d.StartsWith("SEARCH recipients USING INDEX ix_recipients_domain_due (domain=? AND state=?)", StringComparison.Ordinal));
                var due = await SqliteQueryPlan.QueryPlanAsync(connection, SqliteSchema.SelectDueForLane,
                    ("$domain", "one.test"), ("$lane", 0), ("$tenant", "default"), ("$now", 0L), ("$limit", 10));
                Assert.Contains(due, d => d.StartsWith("SEARCH recipients USING INDEX ix_recipients_domain_due (domain=? AND state=? AND next_attempt_at<?)", StringComparison.Ordinal));
                Assert.All(queues.Concat(due), d => Assert.False(d.StartsWith("SCAN", StringComparison.Ordinal), d));
                Assert.DoesNotContain(due, d => d.Contains("TEMP B-TREE", StringComparison.Ordinal));
            }

            store.StartDeferredWork();
            await store.LaneIndexBuild.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(store.HasLaneIndex);
            Assert.Equal(1L, await ScalarAsync(store, SqliteSchema.LaneIndexExists.Replace("SELECT 1", "SELECT COUNT(*)", StringComparison.Ordinal)));
            Assert.Equal(expected, await store.GetLaneQueuesAsync("one.test"));
            await using (var connection = await store.OpenReadConnectionAsync())
            {
                var due = await SqliteQueryPlan.QueryPlanAsync(connection, SqliteSchema.SelectDueForLane,
                    ("$domain", "one.test"), ("$lane", 0), ("$tenant", "default"), ("$now", 0L), ("$limit", 10));
                Assert.Contains(due, d => d.StartsWith("SEARCH recipients USING INDEX ix_recipients_lane_due", StringComparison.Ordinal));
            }
        }

        // The next start finds the index and has nothing to build.
        await using var reopened = new SqliteQueueStore(options);
        await reopened.InitializeAsync();
        Assert.True(reopened.HasLaneIndex);
        Assert.True(reopened.LaneIndexBuild.IsCompleted);
    }

    [Fact]
    public async Task A_new_file_has_its_lane_index_from_the_start()
    {
        await using var store = new SqliteQueueStore(new SqliteQueueStoreOptions { DatabasePath = DatabasePath, DeferUpgradeWork = true });
        await store.InitializeAsync();
        Assert.True(store.HasLaneIndex);
        Assert.Equal(1L, await ScalarAsync(store, SqliteSchema.LaneIndexExists.Replace("SELECT 1", "SELECT COUNT(*)", StringComparison.Ordinal)));
    }

    private static async Task<long> ScalarAsync(SqliteQueueStore store, string sql)
    {
        await using var connection = await store.OpenReadConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task An_upgraded_file_opens_again_without_repeating_the_upgrade()
    {
        await WriteOldSpoolAsync(2);
        await using (var first = new SqliteQueueStore(SqliteQueueStoreOptions.ForDataDirectory(_directory.Path)))
        {
            await first.InitializeAsync();
            var a = (await first.GetRecipientsAsync("OLD1"))[0];
            await first.RecordAttemptsAsync([new RecipientAttempt(a.RecipientId, RecipientState.Pending, T0.AddMinutes(10), "451", LocalFailures: 2)]);
        }

        // A second ADD COLUMN would fail ("duplicate column name") and the file would not open.
        await using var second = new SqliteQueueStore(SqliteQueueStoreOptions.ForDataDirectory(_directory.Path));
        await second.InitializeAsync();
        Assert.Equal([2, 0], (await second.GetRecipientsAsync("OLD1")).Select(r => r.LocalFailures));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task A_message_stored_before_completions_were_kept_completes_on_shard_0_and_finishes(int version)
    {
        await WriteOldSpoolAsync(version);
        await using var store = new SqliteQueueStore(SqliteQueueStoreOptions.ForDataDirectory(_directory.Path));
        await store.InitializeAsync();
        var pending = (await store.GetRecipientsAsync("OLD1"))[0];
        Assert.Null(pending.DelayNoticeAt);

        await store.RecordAttemptsAsync([new RecipientAttempt(pending.RecipientId, RecipientState.Failed, T0.AddMinutes(10), "550 5.1.1 gone")]);

        // Its shard was never stored; shard 0's owner finishes it.
        var completed = Assert.Single(await store.GetCompletedMessagesAsync(0, 10));
        Assert.Equal(("OLD1", 0), (completed.MessageId, completed.Shard));
        var dsn = new SpoolMessage("DSN1", "", [new SpoolRecipient("sender@example.org", "example.org", 3)], "Subject: x\r\n\r\n"u8.ToArray(), T0, Shard: 2);
        Assert.True(await store.FinishMessageAsync("OLD1", [dsn]));
        Assert.Null(await store.GetMessageAsync("OLD1"));
        Assert.NotNull(await store.GetMessageAsync("DSN1"));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task Messages_complete_before_the_upgrade_are_marked_complete_in_pages_after_the_start_and_finish(int version)
    {
        // Three pages and a bit of messages whose every recipient is final, as an older build left them with no completion row.
        const int done = SqliteCompletionBackfill.PageSize * 3 + 7;
        await WriteOldSpoolAsync(version, completeMessages: done);
        await using (var store = new SqliteQueueStore(new SqliteQueueStoreOptions { DatabasePath = DatabasePath, ShardOfMessage = TestShard }))
        {
            await store.InitializeAsync();
            await store.CompletionBackfill.WaitAsync(TimeSpan.FromSeconds(60));

            var completed = await store.GetCompletedMessagesAsync(null, done * 2);
            Assert.Equal(done, completed.Count);
            Assert.DoesNotContain(completed, c => c.MessageId == "OLD1");
            Assert.All(completed, c => Assert.Equal(TestShard(c.MessageId), c.Shard));
            // Every tenth had a failed recipient besides its delivered one: its DSN is owed.
            Assert.Equal(done / 10 + 1, completed.Count(c => c.Reportable == 1));
            Assert.All(completed, c => Assert.InRange(c.Reportable, 0, 1));

            foreach (var message in completed)
                Assert.True(await store.FinishMessageAsync(message.MessageId, []));
            var statistics = await store.GetStatisticsAsync();
            Assert.Equal(1, statistics.Messages);
            Assert.NotNull(await store.GetMessageAsync("OLD1"));
        }

        // The walk is over: its table is gone and a second start schedules nothing.
        await using var again = new SqliteQueueStore(SqliteQueueStoreOptions.ForDataDirectory(_directory.Path));
        await again.InitializeAsync();
        await using var connection = await again.OpenReadConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = SqliteCompletionBackfill.IsScheduled;
        Assert.Null(await command.ExecuteScalarAsync());
        Assert.Empty(await again.GetCompletedMessagesAsync(null, 10));
    }

    [Fact]
    public async Task A_walk_cut_short_resumes_after_its_last_page_on_the_next_start()
    {
        const int done = SqliteCompletionBackfill.PageSize * 2 + 1;
        await WriteOldSpoolAsync(3, completeMessages: done);
        // The upgrade of a build that stopped after its first page: the schedule, with the cursor after that page.
        await using (var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = $"""
                ALTER TABLE messages ADD COLUMN shard INTEGER NOT NULL DEFAULT -1;
                ALTER TABLE recipients ADD COLUMN delay_notice_at INTEGER;
                ALTER TABLE recipients ADD COLUMN last_attempt_at INTEGER;
                ALTER TABLE recipients ADD COLUMN remote_mta TEXT;
                {SqliteCompletionBackfill.Schedule};
                UPDATE completion_backfill SET after = 'DONE00499';
                PRAGMA user_version = 4;
                """;
            await command.ExecuteNonQueryAsync();
        }

        await using var store = new SqliteQueueStore(new SqliteQueueStoreOptions { DatabasePath = DatabasePath, ShardOfMessage = TestShard });
        await store.InitializeAsync();
        await store.CompletionBackfill.WaitAsync(TimeSpan.FromSeconds(60));
        // The first page's 500 were its to do before the stop (here, never done): the walk goes on after them, not over them again.
        var completed = await store.GetCompletedMessagesAsync(null, done * 2);
        Assert.Equal(done - 500, completed.Count);
        Assert.All(completed, c => Assert.True(string.CompareOrdinal(c.MessageId, "DONE00499") > 0, c.MessageId));
    }

    [Fact]
    public async Task A_message_of_an_upgraded_file_completes_on_the_shard_of_its_id_when_the_store_knows_the_shard_function()
    {
        await WriteOldSpoolAsync(3);
        await using var store = new SqliteQueueStore(new SqliteQueueStoreOptions { DatabasePath = DatabasePath, ShardOfMessage = TestShard });
        await store.InitializeAsync();
        var pending = (await store.GetRecipientsAsync("OLD1"))[0];

        var completed = Assert.Single(await store.RecordAttemptsAsync([new RecipientAttempt(pending.RecipientId, RecipientState.Delivered, T0.AddMinutes(10), "250 ok")]));
        // Its row says -1 (stored before version 4); the shard comes from the id, not from the row.
        Assert.Equal(("OLD1", TestShard("OLD1")), (completed.MessageId, completed.Shard));
        Assert.NotEqual(0, TestShard("OLD1"));
    }

    /// <summary>A shard function of the ids here (the node passes the cluster's ShardHash); "OLD1" is not on shard 0.</summary>
    private static int TestShard(string id) => 1 + id[^1] % 13;

    /// <summary>A spool as a build of <paramref name="version"/> left it: one message, one recipient retried three times, one delivered.</summary>
    private async Task WriteOldSpoolAsync(int version, int completeMessages = 0)
    {
        await using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        var t0 = T0.ToUnixTimeMilliseconds();
        command.CommandText = $"""
            PRAGMA journal_mode = WAL;
            {OldSpoolSchema.Tables(version)}
            INSERT INTO messages (id, reverse_path, body_type, smtputf8, ret, envid, received_at, size, client_address, auth_user, body)
                VALUES ('OLD1', 'sender@example.org', 0, 0, 0, NULL, {t0}, 4, NULL, NULL, x'0d0a0d0a');
            INSERT INTO recipients (message_id, address, orcpt, notify, domain, shard, state, attempts, next_attempt_at, queued_at, last_reply)
                VALUES ('OLD1', 'a@one.test', 'rfc822;a@one.test', 0, 'one.test', 7, 0, 3, {t0 + 300_000}, {t0},
                        '451 4.3.0 local error delivering the message (2 of 3 in a row): old');
            INSERT INTO recipients (message_id, address, orcpt, notify, domain, shard, state, attempts, next_attempt_at, queued_at, last_reply)
                VALUES ('OLD1', 'b@one.test', NULL, 0, 'one.test', 7, 1, 1, {t0}, {t0}, '250 ok');
            {CompleteMessages(completeMessages, t0)}
            PRAGMA user_version = {version};
            """;
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// <paramref name="count"/> messages DONE00000... with one delivered recipient each; every tenth
    /// also has a failed one. As an old build left them: every recipient final, nothing else said.
    /// </summary>
    private static string CompleteMessages(int count, long t0) => count == 0 ? "" : $"""
        WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < {count})
        INSERT INTO messages (id, reverse_path, body_type, smtputf8, ret, envid, received_at, size, client_address, auth_user, body)
            SELECT printf('DONE%05d', i), 'sender@example.org', 0, 0, 0, NULL, {t0}, 4, NULL, NULL, x'0d0a0d0a' FROM n;
        INSERT INTO recipients (message_id, address, orcpt, notify, domain, shard, state, attempts, next_attempt_at, queued_at, last_reply)
            SELECT id, 'ok@two.test', NULL, 0, 'two.test', 3, 1, 1, {t0}, {t0}, '250 ok' FROM messages WHERE id LIKE 'DONE%';
        INSERT INTO recipients (message_id, address, orcpt, notify, domain, shard, state, attempts, next_attempt_at, queued_at, last_reply)
            SELECT id, 'gone@two.test', NULL, 0, 'two.test', 3, 2, 1, {t0}, {t0}, '550 5.1.1 gone' FROM messages
            WHERE id LIKE 'DONE%' AND CAST(substr(id, 5) AS INTEGER) % 10 = 0;
        """;
}
