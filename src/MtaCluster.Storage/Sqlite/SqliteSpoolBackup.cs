using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;

namespace MtaCluster.Storage.Sqlite;

/// <summary>What a spool file holds, as read back from it.</summary>
/// <param name="SchemaVersion">Its <c>PRAGMA user_version</c>.</param>
/// <param name="Messages">Messages in it, finished or not.</param>
/// <param name="PendingRecipients">Recipients still to be delivered.</param>
/// <param name="Bytes">Size of the file.</param>
public sealed record SpoolFileSummary(int SchemaVersion, long Messages, long PendingRecipients, long Bytes);

/// <summary>
/// Online backup and offline restore of the embedded spool. A backup is <c>VACUUM INTO</c> over a
/// read-only connection: one read transaction, so the copy is the spool as of one commit, whatever the
/// node writes meanwhile (the write-ahead log lets the writer go on), and compact. It is written
/// under a temporary name, synced, reopened and checked, and only then given its name: a file with the
/// backup's name is always a whole, verified spool. A restore replaces a stopped node's spool with a
/// verified backup and keeps the replaced file (with its write-ahead log) beside it.
/// </summary>
public static class SqliteSpoolBackup
{
    /// <summary>Copies the spool at <paramref name="spoolPath"/> to <paramref name="destination"/>, which must not exist.</summary>
    public static async Task<SpoolFileSummary> BackupAsync(string spoolPath, string destination, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(spoolPath);
        ArgumentException.ThrowIfNullOrWhiteSpace(destination);
        if (!File.Exists(spoolPath)) throw new FileNotFoundException($"there is no spool at {spoolPath}", spoolPath);
        destination = Path.GetFullPath(destination);
        if (File.Exists(destination)) throw new IOException($"{destination} exists; a backup never overwrites a file");
        var directory = Path.GetDirectoryName(destination)!;
        Directory.CreateDirectory(directory);
        var partial = destination + ".partial";
        File.Delete(partial);
        try
        {
            await using (var source = Open(spoolPath))
            {
                await source.OpenAsync(cancellationToken).ConfigureAwait(false);
                await using var vacuum = source.CreateCommand();
                vacuum.CommandText = "VACUUM INTO $path";
                vacuum.Parameters.AddWithValue("$path", partial);
                // Reads every page: no timeout but the caller's.
                vacuum.CommandTimeout = 0;
                await using var cancel = cancellationToken.Register(() => SQLitePCL.raw.sqlite3_interrupt(source.Handle));
                await vacuum.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            SyncFile(partial);
            var summary = await VerifyAsync(partial, cancellationToken).ConfigureAwait(false);
            File.Move(partial, destination);
            SyncDirectory(directory);
            return summary;
        }
        catch
        {
            File.Delete(partial);
            throw;
        }
    }

    /// <summary>Opens <paramref name="path"/> read-only and checks it is a whole spool this build can open; throws <see cref="InvalidDataException"/> saying why not.</summary>
    public static async Task<SpoolFileSummary> VerifyAsync(string path, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"there is no file {path}", path);
        try
        {
            await using var connection = Open(path);
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            var integrity = await ScalarAsync(connection, "PRAGMA integrity_check", cancellationToken).ConfigureAwait(false) as string;
            if (integrity != "ok") throw new InvalidDataException($"{path} is damaged: integrity check says {integrity}");
            var version = Convert.ToInt32(await ScalarAsync(connection, "PRAGMA user_version", cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
            if (version < 1) throw new InvalidDataException($"{path} is not a spool: it has no spool schema");
            if (version > SqliteSchema.Version) throw new InvalidDataException($"{path} has spool schema {version}, newer than this build's {SqliteSchema.Version}");
            var messages = (long)(await ScalarAsync(connection, "SELECT count(*) FROM messages", cancellationToken).ConfigureAwait(false))!;
            var pending = (long)(await ScalarAsync(connection, "SELECT count(*) FROM recipients WHERE state = 0", cancellationToken).ConfigureAwait(false))!;
            return new SpoolFileSummary(version, messages, pending, new FileInfo(path).Length);
        }
        catch (SqliteException ex)
        {
            throw new InvalidDataException($"{path} is not a readable spool: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Puts a verified copy of <paramref name="backup"/> at <paramref name="spoolPath"/>. The caller
    /// makes sure no node uses the spool. A spool already there is renamed, with its write-ahead log,
    /// to <c>spool.db.replaced-&lt;UTC time&gt;</c>, which is returned (null when there was none).
    /// </summary>
    public static async Task<(SpoolFileSummary Restored, string? Replaced)> RestoreAsync(string backup, string spoolPath, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var summary = await VerifyAsync(backup, cancellationToken).ConfigureAwait(false);
        spoolPath = Path.GetFullPath(spoolPath);
        var directory = Path.GetDirectoryName(spoolPath)!;
        Directory.CreateDirectory(directory);
        var partial = spoolPath + ".partial";
        File.Delete(partial);
        await using (var from = new FileStream(backup, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true))
        await using (var to = new FileStream(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
        {
            await from.CopyToAsync(to, cancellationToken).ConfigureAwait(false);
            to.Flush(flushToDisk: true);
        }
        string? replaced = null;
        if (File.Exists(spoolPath))
        {
            replaced = $"{spoolPath}.replaced-{now.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}";
            // SQLite finds a database's log by its name plus "-wal": moved together they stay a pair.
            foreach (var suffix in new[] { "-wal", "-shm", "" })
            {
                if (File.Exists(spoolPath + suffix)) File.Move(spoolPath + suffix, replaced + suffix);
            }
        }
        File.Move(partial, spoolPath);
        SyncDirectory(directory);
        return (summary, replaced);
    }

    // Pooling off: a pooled handle would keep the file open after the backup returns.
    private static SqliteConnection Open(string path) =>
        new(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());

    private static async Task<object?> ScalarAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.CommandTimeout = 0;
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }

    // VACUUM INTO does not sync what it wrote.
    private static void SyncFile(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        file.Flush(flushToDisk: true);
    }

    // A rename is durable once its directory is synced (.NET opens no directory as a file).
    private static void SyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux()) return;
        var fd = open(directory, ReadOnlyDirectory);
        if (fd < 0) throw new IOException($"cannot open {directory} to sync it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (fsync(fd) != 0) throw new IOException($"cannot sync {directory} (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            _ = close(fd);
        }
    }

    // O_RDONLY: enough for fsync, and the same value on every Linux architecture.
    private const int ReadOnlyDirectory = 0;

    [DllImport("libc", SetLastError = true)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int fsync(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);
}
