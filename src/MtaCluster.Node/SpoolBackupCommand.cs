using MtaCluster.Node.Configuration;
using MtaCluster.Node.Hosting;
using MtaCluster.Node.Spooling;
using MtaCluster.Storage.Sqlite;

namespace MtaCluster.Node;

/// <summary>
/// <c>spool-backup --out FILE</c>: a consistent copy of the embedded spool, taken while the node
/// runs (or not), verified by reopening it. <c>spool-restore --from FILE</c>: puts a verified backup
/// in place of a stopped node's spool, keeping the replaced one beside it. A PostgreSQL spool is backed
/// up with PostgreSQL's own tools (pg_dump, or base backups with WAL archiving for point-in-time recovery).
/// </summary>
public static class SpoolBackupCommand
{
    public static async Task<int> RunAsync(NodeCommandLine commandLine, CancellationToken cancellationToken = default)
    {
        var backup = commandLine.Command == NodeCommandLine.SpoolBackupCommand;
        var option = backup ? "--out" : "--from";
        string? file = null;
        var args = commandLine.Rest;
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == option && i + 1 < args.Count) file = args[++i];
            else return Usage($"unknown argument '{args[i]}'");
        }
        if (string.IsNullOrWhiteSpace(file)) return Usage($"{option} FILE is required");

        string dataDir;
        try
        {
            var configuration = NodeConfiguration.Build(commandLine);
            if (NodeConfigurationSections.Bind<SpoolOptions>(configuration).Provider == SpoolProvider.PostgreSql)
            {
                Console.Error.WriteLine("error: this node's spool is on PostgreSQL (Spool:Provider); back it up with pg_dump, or with base backups and WAL archiving for point-in-time recovery (see the README)");
                return 1;
            }
            dataDir = NodeConfigurationSections.Bind<NodeOptions>(configuration).FullDataDir;
        }
        catch (Exception ex) when (ex is ConfigurationErrorException or FormatException or FileNotFoundException or InvalidDataException)
        {
            Console.Error.WriteLine($"error: the configuration cannot be read: {(ex is ConfigurationErrorException c ? c.Error.ToString() : ex.Message)}");
            return 2;
        }
        var spoolPath = SqliteQueueStoreOptions.ForDataDirectory(dataDir).DatabasePath;

        try
        {
            if (backup)
            {
                var summary = await SqliteSpoolBackup.BackupAsync(spoolPath, file, cancellationToken);
                Console.WriteLine($"backed up {spoolPath} to {Path.GetFullPath(file)}: {Describe(summary)}, verified");
                return 0;
            }
            // A running node would go on writing the file it has open, and the restore would be lost.
            using var held = DataDirectoryLock.TryAcquire(dataDir, out var refusal);
            if (held is null)
            {
                Console.Error.WriteLine($"error: {refusal}; stop it before restoring its spool");
                return 1;
            }
            var (restored, replaced) = await SqliteSpoolBackup.RestoreAsync(file, spoolPath, DateTimeOffset.UtcNow, cancellationToken);
            Console.WriteLine($"restored {spoolPath} from {Path.GetFullPath(file)}: {Describe(restored)}"
                + (replaced is null ? "" : $"; the spool it replaced is kept as {replaced}"));
            return 0;
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            return 1;
        }
    }

    private static string Describe(SpoolFileSummary summary) =>
        $"{summary.Messages} messages, {summary.PendingRecipients} recipients to deliver, {summary.Bytes} bytes, schema {summary.SchemaVersion}";

    private static int Usage(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        Console.Error.WriteLine(NodeCommandLine.Usage);
        return 2;
    }
}
