using Microsoft.Extensions.Logging;

namespace MtaCluster.Storage.Sqlite;

/// <summary>
/// Gives completion rows to messages that were already complete (every recipient final) in a spool
/// written before schema version 4, which kept no such rows, so the lifecycle finishes and removes
/// them like any other. The upgrade only schedules it (a one-row table holding the last message id
/// done); this walks the messages in id order a page at a time in the background, each page a short
/// transaction of its own apart from the callers' batches, so neither the start nor a commit waits
/// for millions of old rows. A restart resumes after the last page committed; the table is dropped
/// when the walk reaches the end.
/// </summary>
internal sealed partial class SqliteCompletionBackfill(SqliteSpoolWriter writer, ILogger logger) : IAsyncDisposable
{
    /// <summary>Messages looked at per transaction: a few milliseconds of index seeks here.</summary>
    public const int PageSize = 500;

    /// <summary>The upgrade's step that schedules the walk (run by <see cref="SqliteSchemaMigration"/> for files older than version 4).</summary>
    public const string Schedule =
        "CREATE TABLE IF NOT EXISTS completion_backfill (after TEXT NOT NULL); INSERT INTO completion_backfill (after) VALUES ('')";

    /// <summary>One row when a walk is scheduled or under way.</summary>
    public const string IsScheduled = "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'completion_backfill'";

    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    public void Start() => _loop = Task.Run(() => RunAsync(_stop.Token));

    /// <summary>Completes when the walk has reached the end (or stopped on an error or shutdown).</summary>
    public Task Completion => _loop ?? Task.CompletedTask;

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        long visited = 0, completed = 0;
        try
        {
            while (true)
            {
                var page = new SqliteCompletionBackfillPageOperation(PageSize);
                await writer.SubmitAsync(page, cancellationToken).ConfigureAwait(false);
                visited += page.Visited;
                completed += page.Completed;
                if (page.Finished)
                {
                    LogFinished(completed, visited);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogFailed(exception, completed);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
            await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "spool upgrade: {Completed} messages that were complete before the upgrade are marked complete ({Visited} looked at) and will be finished")]
    private partial void LogFinished(long completed, long visited);

    [LoggerMessage(Level = LogLevel.Warning, Message = "spool upgrade: marking messages that were complete before the upgrade stopped after {Completed}; the next start resumes")]
    private partial void LogFailed(Exception exception, long completed);
}
