using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace MtaCluster.Storage.Postgres;

/// <summary>
/// The single writer of accepted mail on one node. Callers queue messages on a channel; one loop
/// takes everything waiting (up to the batch limits) and stores it in one transaction, in one round
/// trip of prepared statements (<see cref="PostgresMessageBatch"/>, chosen over binary COPY and
/// multi-row INSERT by measurement, figures there), with <c>synchronous_commit=on</c>: the commit
/// returns once the WAL is flushed, and only then are the callers completed. One WAL flush thus covers
/// a whole batch. A batch that fails on one message's data (a duplicate id, a NOT NULL) is stored
/// again with a savepoint per message, so that message fails alone.
/// </summary>
internal sealed partial class PostgresSpoolWriter : IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgresQueueStoreOptions _options;
    private readonly Channel<PostgresEnqueueRequest> _queue;
    private readonly ILogger _logger;
    private Task? _loop;

    private long _batchesStarted;
    private long _committedBatches;
    private long _committedMessages;
    private long _failedOperations;
    private int _largestBatch;
    private Exception? _fault;

    public PostgresSpoolWriter(NpgsqlDataSource dataSource, PostgresQueueStoreOptions options, ILogger logger)
    {
        _dataSource = dataSource;
        _options = options;
        _logger = logger;
        _queue = Channel.CreateBounded<PostgresEnqueueRequest>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public void Start() => _loop = Task.Run(RunAsync);

    internal long BatchesStarted => Interlocked.Read(ref _batchesStarted);

    public GroupCommitStatistics Statistics => new(
        Interlocked.Read(ref _committedBatches),
        Interlocked.Read(ref _committedMessages),
        Interlocked.Read(ref _committedMessages),
        Interlocked.Read(ref _failedOperations),
        Volatile.Read(ref _largestBatch));

    /// <summary>Queues a message; the task completes when its transaction has committed, or fails with it.</summary>
    public Task SubmitAsync(PostgresEnqueueRequest request, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
            return Task.FromCanceled(cancellationToken);
        request.AttachCancellation(cancellationToken);
        return _queue.Writer.TryWrite(request) ? request.Completion : SubmitSlowAsync(request, cancellationToken);
    }

    private async Task SubmitSlowAsync(PostgresEnqueueRequest request, CancellationToken cancellationToken)
    {
        try
        {
            await _queue.Writer.WriteAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            request.Abandon();
            throw Volatile.Read(ref _fault) is { } fault
                ? new InvalidOperationException("The spool writer has stopped after an error.", fault)
                : new ObjectDisposedException(nameof(PostgresQueueStore));
        }
        catch (OperationCanceledException)
        {
            request.Abandon();
            throw;
        }
        await request.Completion.ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<PostgresEnqueueRequest>(_options.MaxBatchSize);
        var messages = new List<SpoolMessage>(_options.MaxBatchSize);
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                long bytes = 0;
                while (batch.Count < _options.MaxBatchSize && bytes < _options.MaxBatchBytes && reader.TryRead(out var request))
                {
                    if (!request.TryTake())
                        continue;
                    batch.Add(request);
                    bytes += request.Message.Content.Length;
                }
                if (batch.Count == 0)
                    continue;
                await WriteBatchAsync(batch, messages).ConfigureAwait(false);
                batch.Clear();
                messages.Clear();
            }
        }
        catch (Exception exception)
        {
            // Only a defect gets here (WriteBatchAsync hands every database error to its callers); stop
            // taking writes rather than leave callers waiting for a loop that is gone.
            LogWriterStopped(exception);
            Volatile.Write(ref _fault, exception);
            _queue.Writer.TryComplete(exception);
            foreach (var request in batch)
                request.Fail(exception);
            while (reader.TryRead(out var request))
            {
                if (request.TryTake())
                    request.Fail(exception);
            }
        }
    }

    private async Task WriteBatchAsync(List<PostgresEnqueueRequest> batch, List<SpoolMessage> messages)
    {
        Interlocked.Increment(ref _batchesStarted);
        foreach (var request in batch)
            messages.Add(request.Message);
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync().ConfigureAwait(false);
            try
            {
                await using (var transaction = await connection.BeginTransactionAsync().ConfigureAwait(false))
                {
                    await PostgresMessageBatch.InsertAsync(connection, messages,
                        _options.Notify ? PostgresWakeNotifier.DomainPayloads(messages) : null, CancellationToken.None).ConfigureAwait(false);
                    await transaction.CommitAsync().ConfigureAwait(false);
                }
                Committed(batch, batch.Count);
                return;
            }
            catch (Exception exception) when (PostgresErrors.IsCausedByTheWrite(exception))
            {
                // The rollback undid the whole batch; some message's own data is at fault. Store them
                // one savepoint each, on the same connection, so only the faulty ones fail.
                LogBatchRetried(batch.Count, exception);
                await WriteOneByOneAsync(connection, batch).ConfigureAwait(false);
            }
        }
        catch (Exception exception)
        {
            // The connection, the server or the disk failed: nothing of the batch is stored, and each
            // caller gets the error (the SMTP server answers 451; the client tries again later).
            LogBatchFailed(batch.Count, exception);
            Interlocked.Add(ref _failedOperations, batch.Count);
            foreach (var request in batch)
                request.Fail(exception);
        }
    }

    private async Task WriteOneByOneAsync(NpgsqlConnection connection, List<PostgresEnqueueRequest> batch)
    {
        var rejected = new Dictionary<PostgresEnqueueRequest, Exception>();
        var single = new SpoolMessage[1];
        await using (var transaction = await connection.BeginTransactionAsync().ConfigureAwait(false))
        {
            foreach (var request in batch)
            {
                single[0] = request.Message;
                await transaction.SaveAsync("message").ConfigureAwait(false);
                try
                {
                    await PostgresMessageBatch.InsertAsync(connection, single, null, CancellationToken.None).ConfigureAwait(false);
                    await transaction.ReleaseAsync("message").ConfigureAwait(false);
                }
                catch (Exception exception) when (PostgresErrors.IsCausedByTheWrite(exception))
                {
                    await transaction.RollbackAsync("message").ConfigureAwait(false);
                    rejected[request] = exception;
                }
            }
            if (_options.Notify)
                await PostgresWakeNotifier.NotifyAsync(connection, PostgresWakeNotifier.DomainPayloads(batch.Where(r => !rejected.ContainsKey(r)).Select(r => r.Message)), CancellationToken.None).ConfigureAwait(false);
            await transaction.CommitAsync().ConfigureAwait(false);
        }
        foreach (var (request, exception) in rejected)
        {
            LogWriteRejected(exception);
            Interlocked.Increment(ref _failedOperations);
            request.Fail(exception);
        }
        batch.RemoveAll(rejected.ContainsKey);
        Committed(batch, batch.Count + rejected.Count);
    }

    private void Committed(List<PostgresEnqueueRequest> stored, int batchSize)
    {
        Interlocked.Increment(ref _committedBatches);
        Interlocked.Add(ref _committedMessages, stored.Count);
        if (batchSize > _largestBatch)
            Volatile.Write(ref _largestBatch, batchSize);
        foreach (var request in stored)
            request.Succeed();
    }

    /// <summary>Stops taking messages, commits those already queued, then returns.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        if (_loop is not null)
            await _loop.ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A spool message was rejected; the others of its batch are stored without it")]
    private partial void LogWriteRejected(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A spool batch of {Count} messages failed on a message's data; storing them one by one")]
    private partial void LogBatchRetried(int count, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "A spool transaction of {Count} messages failed; every caller in it gets the error")]
    private partial void LogBatchFailed(int count, Exception exception);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The spool writer stopped; every further write will fail")]
    private partial void LogWriterStopped(Exception exception);
}
