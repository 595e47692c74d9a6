using Microsoft.Data.Sqlite;
using MtaCluster.Storage.Sqlite;

namespace MtaCluster.Storage.Tests.Sqlite;

/// <summary>A spool file written by an earlier build opens in place, keeps its mail, and gains what the current schema added.</summary>
public sealed class SqliteSchemaMigrationTests : IDisposable
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_767_225_600_000);

    // The DDL as builds of schema versions 1 and 2 wrote it, kept literally: SqliteSchema.Create
    // moves on, an old file on an operator's disk does not.
    private const string Version1Tables = """
        CREATE TABLE messages (
            id              TEXT    NOT NULL PRIMARY KEY,
            reverse_path    TEXT    NOT NULL,
            body_type       INTEGER NOT NULL,
            smtputf8        INTEGER NOT NULL,
            ret             INTEGER NOT NULL,
            envid           TEXT,
            received_at     INTEGER NOT NULL,
            size            INTEGER NOT NULL,
            client_address  TEXT,
            auth_user       TEXT,
            body            BLOB    NOT NULL
        );
        CREATE TABLE recipients (
            id              INTEGER PRIMARY KEY AUTOINCREMENT,
            message_id      TEXT    NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
            address         TEXT    NOT NULL,
            orcpt           TEXT,
            notify          INTEGER NOT NULL,
            domain          TEXT    NOT NULL,
            shard           INTEGER NOT NULL,
            state           INTEGER NOT NULL,
            attempts        INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER NOT NULL,
            queued_at       INTEGER NOT NULL,
            last_reply      TEXT
        );
        CREATE INDEX ix_recipients_shard_due  ON recipients (shard, state, next_attempt_at);
        CREATE INDEX ix_recipients_domain_due ON recipients (domain, state, next_attempt_at);
        CREATE INDEX ix_recipients_message    ON recipients (message_id);
        """;

    private const string Version2Tables = """
        CREATE TABLE spool_settings (
            key             TEXT    NOT NULL PRIMARY KEY,
            value           TEXT    NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE domain_suspensions (
            domain          TEXT    NOT NULL PRIMARY KEY,
            suspended_at    INTEGER NOT NULL,
            until           INTEGER,
            reason          TEXT
        ) WITHOUT ROWID;
        """;

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

    /// <summary>A spool as a build of <paramref name="version"/> left it: one message, one recipient retried three times, one delivered.</summary>
    private async Task WriteOldSpoolAsync(int version)
    {
        await using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        var t0 = T0.ToUnixTimeMilliseconds();
        command.CommandText = $"""
            PRAGMA journal_mode = WAL;
            {Version1Tables}
            {(version >= 2 ? Version2Tables : "")}
            {(version >= 3 ? "ALTER TABLE recipients ADD COLUMN local_failures INTEGER NOT NULL DEFAULT 0;" : "")}
            {(version >= 4 ? "ALTER TABLE messages ADD COLUMN shard INTEGER NOT NULL DEFAULT -1; ALTER TABLE recipients ADD COLUMN delay_notice_at INTEGER; " +
                             "ALTER TABLE recipients ADD COLUMN last_attempt_at INTEGER; ALTER TABLE recipients ADD COLUMN remote_mta TEXT;" : "")}
            INSERT INTO messages (id, reverse_path, body_type, smtputf8, ret, envid, received_at, size, client_address, auth_user, body)
                VALUES ('OLD1', 'sender@example.org', 0, 0, 0, NULL, {t0}, 4, NULL, NULL, x'0d0a0d0a');
            INSERT INTO recipients (message_id, address, orcpt, notify, domain, shard, state, attempts, next_attempt_at, queued_at, last_reply)
                VALUES ('OLD1', 'a@one.test', 'rfc822;a@one.test', 0, 'one.test', 7, 0, 3, {t0 + 300_000}, {t0},
                        '451 4.3.0 local error delivering the message (2 of 3 in a row): old');
            INSERT INTO recipients (message_id, address, orcpt, notify, domain, shard, state, attempts, next_attempt_at, queued_at, last_reply)
                VALUES ('OLD1', 'b@one.test', NULL, 0, 'one.test', 7, 1, 1, {t0}, {t0}, '250 ok');
            PRAGMA user_version = {version};
            """;
        await command.ExecuteNonQueryAsync();
    }
}
