using System.CommandLine;
using System.Net;

namespace MtaCluster.Cmd.Palettes;

/// <summary><c>mta spool</c>: backing up the embedded spool through the running node, and how to restore it.</summary>
public static class SpoolPalette
{
    /// <summary>The node's own restore command, which needs the node stopped (it holds the spool open).</summary>
    public static string RestoreCommand(string file) =>
        $"dotnet run --project src/MtaCluster.Node -c Release -- spool-restore --from {file} --config <the node's node.yaml>";

    public static void Add(RootCommand root, PbmCommandKit kit)
    {
        var spool = PbmCommandKit.Child(MtaPalette.Of(root), "spool", "The node's embedded (SQLite) spool");

        var backupFile = new Argument<string>("file") { Description = "Where the node writes the backup, on the node's host (never overwritten)" };
        var backup = new Command("backup", "An online, consistent copy of the spool, taken while the node runs and verified by reopening it");
        backup.Add(backupFile);
        backup.SetAction(async (result, ct) =>
        {
            var file = Resolve(kit, result.GetValue(backupFile)!);
            using var client = kit.Client(result);
            // A copy of the whole spool can take a while: say what is under way before the answer comes.
            if (!kit.WantsJson(result)) await kit.Output.WriteLineAsync($"backing up the spool of {kit.Endpoint} to {file} ...").ConfigureAwait(false);
            var (document, text) = await client.SendAsync(HttpMethod.Post, "/api/spool/backup", new { File = file }, ct).ConfigureAwait(false);
            await kit.PrintAsync(result, document, text, Views.SpoolBackup).ConfigureAwait(false);
            return PbmApp.Ok;
        });
        spool.Add(backup);

        var restoreFile = new Argument<string>("file") { Description = "A backup made by 'mta spool backup' or spool-backup" };
        var restore = new Command("restore", "Restoring needs the node stopped: prints the node command that does it");
        restore.Add(restoreFile);
        restore.SetAction(async (result, ct) =>
        {
            // Not through the node: a running node holds its spool open and would go on writing the file
            // it has, so the restore is the node binary's own command, run with the node stopped.
            var file = Resolve(kit, result.GetValue(restoreFile)!);
            await kit.Error.WriteLineAsync($"error: a spool is restored with its node stopped, not through the running node at {kit.Endpoint}. "
                + "Stop the node, then on its host run (with the node's own --config):").ConfigureAwait(false);
            await kit.Error.WriteLineAsync($"  {RestoreCommand(file)}").ConfigureAwait(false);
            await kit.Error.WriteLineAsync("  (installed: MtaCluster.Node spool-restore --from FILE --config PATH); the replaced spool is kept beside it").ConfigureAwait(false);
            return PbmApp.Failed;
        });
        spool.Add(restore);
    }

    // A relative path means the operator's directory when the node runs on this host; for a remote node it must be absolute.
    private static string Resolve(PbmCommandKit kit, string file)
    {
        if (Path.IsPathFullyQualified(file)) return file;
        var host = kit.Endpoint[..kit.Endpoint.LastIndexOf(':')].Trim('[', ']');
        if (host == "localhost" || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address)))
            return Path.GetFullPath(file, kit.WorkingDirectory);
        throw new PbmException($"'{file}' is relative: give the backup's absolute path on the node's host ({host})");
    }
}
