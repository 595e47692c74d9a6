using Microsoft.Extensions.Logging;

namespace MtaCluster.Storage.Sqlite;

/// <summary>
/// Hands the pages of removed mail back to the file system while the spool is quiet. Each interval it
/// looks at how many writes the writer committed since the last one; below the idle threshold it runs
/// <see cref="SqliteVacuumStepOperation"/>s, one after another while no write is waiting, then a
/// passive checkpoint so the shorter file reaches the disk. Under load it does nothing: the free list
/// is then reused by new mail anyway, and vacuuming pages that the next minute's mail needs again
/// would only double their writes.
/// </summary>
internal sealed partial class SqliteSpaceReclaimer(SqliteSpoolWriter writer, SqliteQueueStoreOptions options, ILogger logger) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private long _lastOperations;
    private bool _checkpointOwed;

    public void Start()
    {
        if (options.ReclaimInterval > TimeSpan.Zero)
            _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    /// <summary>
    /// Hands back up to <paramref name="maxPages"/> free pages in steps of <see cref="SqliteQueueStoreOptions.ReclaimStepPages"/>,
    /// each its own transaction, while <paramref name="keepGoing"/> holds; returns how many.
    /// </summary>
    public async Task<long> ReclaimAsync(long maxPages, Func<bool> keepGoing, CancellationToken cancellationToken)
    {
        long reclaimed = 0;
        while (reclaimed < maxPages && keepGoing())
        {
            var step = new SqliteVacuumStepOperation((int)Math.Min(options.ReclaimStepPages, maxPages - reclaimed));
            await writer.SubmitAsync(step, cancellationToken).ConfigureAwait(false);
            reclaimed += step.Reclaimed;
            if (step.Reclaimed > 0)
                Volatile.Write(ref _checkpointOwed, true);
            if (step.Reclaimed == 0 || step.Remaining == 0)
                break;
        }
        return reclaimed;
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.ReclaimInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var operations = writer.Statistics.CommittedOperations;
                var quiet = operations - _lastOperations <= options.ReclaimIdleWrites;
                _lastOperations = operations;
                if (!quiet)
                    continue;
                try
                {
                    await ReclaimWhileIdleAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    LogReclaimFailed(exception);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task ReclaimWhileIdleAsync(CancellationToken cancellationToken)
    {
        // A write that arrives waits behind at most the step in progress.
        var reclaimed = await ReclaimAsync(long.MaxValue, () => writer.QueuedWrites == 0, cancellationToken).ConfigureAwait(false);
        if (reclaimed > 0)
            LogReclaimed(reclaimed);
        if (!Volatile.Read(ref _checkpointOwed) || writer.QueuedWrites > 0)
            return;
        var checkpoint = new SqliteCheckpointOperation();
        await writer.SubmitAsync(checkpoint, cancellationToken).ConfigureAwait(false);
        // A reader still on an older snapshot keeps frames in the log; the next quiet interval tries again.
        if (checkpoint.Complete)
            Volatile.Write(ref _checkpointOwed, false);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
            await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "spool idle: {Pages} free pages handed back to the file system")]
    private partial void LogReclaimed(long pages);

    [LoggerMessage(Level = LogLevel.Warning, Message = "handing free spool pages back failed; the next quiet interval tries again")]
    private partial void LogReclaimFailed(Exception exception);
}
