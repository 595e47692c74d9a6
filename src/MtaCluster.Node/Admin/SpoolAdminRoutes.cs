using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Routing;
using MtaCluster.Node.Hosting;
using MtaCluster.Node.Spooling;
using MtaCluster.Storage.Sqlite;

namespace MtaCluster.Node.Admin;

/// <summary>
/// <c>POST /api/spool/backup</c> with <c>{ "file": "/path/on/the/node's/host" }</c>: the online backup of
/// the embedded SQLite spool (<see cref="SqliteSpoolBackup"/>: <c>VACUUM INTO</c> a partial file, reopened
/// and checked before it gets its name) while the node runs, answered with the verified counts. A
/// PostgreSQL spool is refused (409) with where to look: pg_dump, or base backups with WAL archiving.
/// Restoring needs the node stopped, so there is no route for it (see the README).
/// </summary>
public sealed class SpoolAdminRoutes(SpoolOptions spool, NodeOptions node) : IAdminRoutes
{
    // One at a time: two copies of the whole spool at once double the read load for no gain.
    private readonly SemaphoreSlim _one = new(1, 1);

    public void Map(IEndpointRouteBuilder routes)
    {
        routes.MapPost("/api/spool/backup", async (HttpContext c) =>
        {
            if (spool.Provider == SpoolProvider.PostgreSql)
            {
                await AdminResults.Error(c, StatusCodes.Status409Conflict, "postgresql_spool",
                    "this node's spool is on PostgreSQL (Spool:Provider): back it up with pg_dump, or with base backups and WAL archiving for point-in-time recovery (see the README)").ConfigureAwait(false);
                return;
            }
            var request = await AdminRequests.ReadAsync<SpoolBackupRequest>(c).ConfigureAwait(false);
            if (string.IsNullOrWhiteSpace(request?.File) || !Path.IsPathFullyQualified(request.File))
            {
                await AdminResults.Error(c, StatusCodes.Status400BadRequest, "bad_request",
                    "give { \"file\": \"/absolute/path\" }: the backup's path on the node's host (a relative path would depend on the node's working directory)").ConfigureAwait(false);
                return;
            }
            var spoolPath = SqliteQueueStoreOptions.ForDataDirectory(node.FullDataDir).DatabasePath;
            if (!await _one.WaitAsync(0, c.RequestAborted).ConfigureAwait(false))
            {
                await AdminResults.Error(c, StatusCodes.Status409Conflict, "busy", "a backup of this spool is running; try again when it has finished").ConfigureAwait(false);
                return;
            }
            try
            {
                var clock = Stopwatch.StartNew();
                var summary = await SqliteSpoolBackup.BackupAsync(spoolPath, request.File, c.RequestAborted).ConfigureAwait(false);
                await AdminResults.Json(c, new SpoolBackupView(spoolPath, Path.GetFullPath(request.File), summary.Messages, summary.PendingRecipients, summary.Bytes,
                    summary.SchemaVersion, Verified: true, Math.Round(clock.Elapsed.TotalSeconds, 3))).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
            {
                // The file exists, the directory cannot be written, the copy did not verify: nothing is left behind.
                var status = ex is IOException && File.Exists(request.File) ? StatusCodes.Status409Conflict : StatusCodes.Status422UnprocessableEntity;
                await AdminResults.Error(c, status, "backup_failed", ex.Message).ConfigureAwait(false);
            }
            finally
            {
                _one.Release();
            }
        });
    }
}
