using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace MtaCluster.Storage.Sqlite;

/// <summary>
/// Makes <see cref="SqliteSchema.LaneIndex"/> on a spool upgraded from schema version 4, after the
/// node's listeners are up: the build reads every recipient row, which on a large spool would hold up
/// the start by as long. Until it commits, the store lists a domain's queues from
/// ix_recipients_domain_due (<see cref="SqliteSchema.SelectLaneQueuesWithoutLaneIndex"/>) and the due
/// read per queue uses that index too, so delivery is the same, only each read costs more. A build cut
/// short by a crash or a shutdown leaves no index, and the next start builds it again.
/// </summary>
internal sealed partial class SqliteLaneIndexBuild(SqliteSpoolWriter writer, Action built, ILogger logger) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    public void Start() => _loop ??= Task.Run(() => RunAsync(_stop.Token));

    /// <summary>Completes when the index exists (or the build stopped on an error or shutdown); pending until <see cref="Start"/>.</summary>
    public Task Completion => _completion.Task;

    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            LogStarted();
            var elapsed = Stopwatch.StartNew();
            await writer.SubmitAsync(new SqliteLaneIndexBuildOperation(), cancellationToken).ConfigureAwait(false);
            built();
            LogBuilt((long)elapsed.Elapsed.TotalMilliseconds);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogFailed(exception);
        }
        finally
        {
            _completion.TrySetResult();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
            await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "spool upgrade: building the lane index " + SqliteSchema.LaneIndex + " behind the listeners; writes wait for it once, and until it exists a domain's queues are read from its due index")]
    private partial void LogStarted();

    [LoggerMessage(Level = LogLevel.Information, Message = "spool upgrade: lane index " + SqliteSchema.LaneIndex + " built in {ElapsedMs} ms")]
    private partial void LogBuilt(long elapsedMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "spool upgrade: building the lane index " + SqliteSchema.LaneIndex + " failed; lane reads go on without it, and the next start builds it")]
    private partial void LogFailed(Exception exception);
}
