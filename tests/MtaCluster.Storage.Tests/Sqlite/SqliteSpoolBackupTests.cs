using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using MtaCluster.Mail;
using MtaCluster.Storage.Sqlite;

namespace MtaCluster.Storage.Tests.Sqlite;

/// <summary>A backup taken while the writer commits is a whole, consistent spool; a restore puts it back and keeps what it replaced.</summary>
public sealed class SqliteSpoolBackupTests : IDisposable
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_767_225_600_000);
    private readonly ScratchDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_backup_taken_while_mail_is_committed_holds_every_message_committed_before_it_began_intact()
    {
        var spoolPath = _directory.File("node/spool.db");
        var sent = new Dictionary<string, byte[]>();
        await using (var store = new SqliteQueueStore(new SqliteQueueStoreOptions { DatabasePath = spoolPath }))
        {
            await store.InitializeAsync();
            for (var i = 0; i < 300; i++) await EnqueueAsync(store, i, sent);
            var before = sent.Keys.ToList();

            // The writer keeps committing all through the backup.
            using var stop = new CancellationTokenSource();
            var more = Task.Run(async () =>
            {
                for (var i = 300; !stop.IsCancellationRequested; i++) await EnqueueAsync(store, i, sent);
            });
            var backup = _directory.File("backups/spool-1.db");
            var summary = await SqliteSpoolBackup.BackupAsync(spoolPath, backup);
            await stop.CancelAsync();
            await more;

            Assert.True(File.Exists(backup));
            Assert.False(File.Exists(backup + ".partial"));
            Assert.Equal(SqliteSchema.Version, summary.SchemaVersion);
            Assert.InRange(summary.Messages, before.Count, sent.Count);
            Assert.Equal(summary.Messages, summary.PendingRecipients);

            // Opened as a node's spool: every message there before the backup, byte for byte, and each
            // message it holds is whole (a consistent snapshot has no message without its recipient).
            var restoredDir = _directory.File("opened");
            Directory.CreateDirectory(restoredDir);
            File.Copy(backup, Path.Combine(restoredDir, SqliteQueueStoreOptions.DefaultFileName));
            await using var copy = new SqliteQueueStore(SqliteQueueStoreOptions.ForDataDirectory(restoredDir));
            await copy.InitializeAsync();
            foreach (var id in before) await AssertIntactAsync(copy, id, sent[id]);
            Assert.Equal(summary.Messages, (await copy.GetStatisticsAsync()).Messages);
        }
    }

    [Fact]
    public async Task A_backup_never_overwrites_a_file()
    {
        var spoolPath = await SpoolWithAsync(3);
        var backup = _directory.File("taken.db");
        await File.WriteAllTextAsync(backup, "keep me");

        var error = await Assert.ThrowsAsync<IOException>(() => SqliteSpoolBackup.BackupAsync(spoolPath, backup));

        Assert.Contains("exists", error.Message, StringComparison.Ordinal);
        Assert.Equal("keep me", await File.ReadAllTextAsync(backup));
    }

    [Fact]
    public async Task Verification_refuses_a_damaged_file_and_a_database_that_is_not_a_spool()
    {
        var spoolPath = await SpoolWithAsync(50);
        var backup = _directory.File("good.db");
        await SqliteSpoolBackup.BackupAsync(spoolPath, backup);

        // Half of it: the pages the header promises are not there.
        var truncated = _directory.File("truncated.db");
        var bytes = await File.ReadAllBytesAsync(backup);
        await File.WriteAllBytesAsync(truncated, bytes[..(bytes.Length / 2)]);
        await Assert.ThrowsAsync<InvalidDataException>(() => SqliteSpoolBackup.VerifyAsync(truncated));

        var other = _directory.File("other.db");
        await using (var connection = new SqliteConnection($"Data Source={other};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var create = connection.CreateCommand();
            create.CommandText = "CREATE TABLE t (x)";
            await create.ExecuteNonQueryAsync();
        }
        var notSpool = await Assert.ThrowsAsync<InvalidDataException>(() => SqliteSpoolBackup.VerifyAsync(other));
        Assert.Contains("not a spool", notSpool.Message, StringComparison.Ordinal);

        var text = _directory.File("text.db");
        await File.WriteAllTextAsync(text, new string('x', 8192));
        await Assert.ThrowsAsync<InvalidDataException>(() => SqliteSpoolBackup.VerifyAsync(text));
    }

    [Fact]
    public async Task A_restore_replaces_the_spool_with_the_backup_and_keeps_the_replaced_one_with_its_log()
    {
        var sent = new Dictionary<string, byte[]>();
        var spoolPath = _directory.File("node/spool.db");
        var backup = _directory.File("backup.db");
        await using (var store = new SqliteQueueStore(new SqliteQueueStoreOptions { DatabasePath = spoolPath }))
        {
            await store.InitializeAsync();
            for (var i = 0; i < 20; i++) await EnqueueAsync(store, i, sent);
            await SqliteSpoolBackup.BackupAsync(spoolPath, backup);
            // Mail after the backup: the restore goes back to before it.
            for (var i = 20; i < 30; i++) await EnqueueAsync(store, i, sent);
        }

        var (restored, replaced) = await SqliteSpoolBackup.RestoreAsync(backup, spoolPath, T0);

        Assert.Equal(20, restored.Messages);
        Assert.Equal(spoolPath + ".replaced-20260101T000000Z", replaced);
        Assert.True(File.Exists(replaced));
        await using (var store = new SqliteQueueStore(new SqliteQueueStoreOptions { DatabasePath = spoolPath }))
        {
            await store.InitializeAsync();
            Assert.Equal(20, (await store.GetStatisticsAsync()).Messages);
            foreach (var (id, body) in sent.Take(20)) await AssertIntactAsync(store, id, body);
        }
        // The replaced spool is still a whole spool with all 30.
        var kept = _directory.File("kept");
        Directory.CreateDirectory(kept);
        foreach (var suffix in new[] { "", "-wal" })
        {
            if (File.Exists(replaced + suffix)) File.Copy(replaced + suffix, Path.Combine(kept, SqliteQueueStoreOptions.DefaultFileName + suffix));
        }
        await using var old = new SqliteQueueStore(SqliteQueueStoreOptions.ForDataDirectory(kept));
        await old.InitializeAsync();
        Assert.Equal(30, (await old.GetStatisticsAsync()).Messages);
    }

    [Fact]
    public async Task A_damaged_backup_is_not_restored_and_the_spool_stays_as_it_was()
    {
        var spoolPath = await SpoolWithAsync(5);
        var damaged = _directory.File("damaged.db");
        await File.WriteAllTextAsync(damaged, new string('x', 8192));
        var before = SHA256.HashData(await File.ReadAllBytesAsync(spoolPath));

        await Assert.ThrowsAsync<InvalidDataException>(() => SqliteSpoolBackup.RestoreAsync(damaged, spoolPath, T0));

        Assert.Equal(before, SHA256.HashData(await File.ReadAllBytesAsync(spoolPath)));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(spoolPath)!, "spool.db*"), f => f == spoolPath);
    }

    private async Task<string> SpoolWithAsync(int messages)
    {
        var spoolPath = _directory.File("node/spool.db");
        var sent = new Dictionary<string, byte[]>();
        await using var store = new SqliteQueueStore(new SqliteQueueStoreOptions { DatabasePath = spoolPath });
        await store.InitializeAsync();
        for (var i = 0; i < messages; i++) await EnqueueAsync(store, i, sent);
        return spoolPath;
    }

    private static async Task EnqueueAsync(SqliteQueueStore store, int n, Dictionary<string, byte[]> sent)
    {
        var body = new byte[2048];
        new Random(n).NextBytes(body);
        "Subject: backup\r\n\r\n"u8.CopyTo(body);
        var message = new SpoolMessage(QueueId.New(), "sender@example.org", [new SpoolRecipient($"u{n}@d{n % 7}.test", $"d{n % 7}.test", n % 7)],
            new MessageContent(body), T0.AddSeconds(n));
        await store.EnqueueAsync(message);
        lock (sent) sent[message.Id] = body;
    }

    private static async Task AssertIntactAsync(IQueueStore store, string id, byte[] body)
    {
        using var loaded = await store.LoadMessageAsync(id);
        Assert.NotNull(loaded);
        Assert.Equal(body, loaded.Content.ToArray());
        Assert.Single(await store.GetRecipientsAsync(id));
    }
}
