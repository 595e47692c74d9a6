using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using MtaCluster.Mail;

namespace MtaCluster.Storage.Sqlite;

/// <summary>
/// The single writer of a spool file. Callers queue writes on a channel; one loop takes everything
/// waiting (up to the batch limit), runs it in one transaction on one connection with commands
/// prepared once, commits, and only then completes the callers. One fsync thus covers a whole
/// batch, which is what makes <c>synchronous=FULL</c> affordable.
/// </summary>
internal sealed partial class SqliteSpoolWriter : IAsyncDisposable
{
    private readonly SqliteConnection _connection;
    private readonly Channel<SqliteWriteOperation> _queue;
    private readonly int _maxBatchSize;
    private readonly ILogger _logger;
    private Task? _loop;

    private readonly SqliteCommand _begin;
    private readonly SqliteCommand _commit;
    private readonly SqliteCommand _rollback;

    private readonly SqliteCommand _insertMessage;
    private readonly SqliteParameter _messageId;
    private readonly SqliteParameter _reversePath;
    private readonly SqliteParameter _bodyType;
    private readonly SqliteParameter _smtpUtf8;
    private readonly SqliteParameter _ret;
    private readonly SqliteParameter _envelopeId;
    private readonly SqliteParameter _receivedAt;
    private readonly SqliteParameter _size;
    private readonly SqliteParameter _clientAddress;
    private readonly SqliteParameter _authUser;
    private readonly SqliteParameter _messageShard;
    private readonly SqliteParameter _messageTenant;
    private readonly SqliteParameter _messageLane;
    private readonly SqliteParameter _messageCampaign;

    private readonly SqliteCommand _insertRecipient;
    private readonly SqliteParameter _recipientMessageId;
    private readonly SqliteParameter _recipientAddress;
    private readonly SqliteParameter _recipientOrcpt;
    private readonly SqliteParameter _recipientNotify;
    private readonly SqliteParameter _recipientDomain;
    private readonly SqliteParameter _recipientShard;
    private readonly SqliteParameter _recipientLane;
    private readonly SqliteParameter _recipientTenant;
    private readonly SqliteParameter _recipientNextAttempt;
    private readonly SqliteParameter _recipientQueuedAt;

    private readonly SqliteCommand _updateRecipient;
    private readonly SqliteParameter _updateId;
    private readonly SqliteParameter _updateState;
    private readonly SqliteParameter _updateNextAttempt;
    private readonly SqliteParameter _updateReply;
    private readonly SqliteParameter _updateLocalFailures;
    private readonly SqliteParameter _updateAttemptedAt;
    private readonly SqliteParameter _updateRemoteMta;

    private readonly SqliteCommand _deleteMessage;
    private readonly SqliteParameter _deleteId;

    private readonly SqliteCommand _markComplete;
    private readonly SqliteParameter _markCompleteMessage;
    private readonly SqliteParameter _markCompleteNow;
    private readonly SqliteParameter _markCompleteShard;
    private readonly Func<string, int>? _shardOfMessage;
    private readonly bool _removeDeliveredOnCompletion;
    private readonly SqliteCommand _deleteIfAllDelivered;
    private readonly SqliteParameter _deleteIfAllDeliveredId;

    private readonly SqliteCommand _selectCompletion;
    private readonly SqliteCommand _freelistCount;
    private readonly SqliteParameter _selectCompletionId;

    private long _batchesStarted;
    private long _committedBatches;
    private long _committedMessages;
    private long _committedOperations;
    private long _failedOperations;
    private int _largestBatch;
    private Exception? _fault;

    public SqliteSpoolWriter(SqliteConnection connection, int maxBatchSize, int queueCapacity, ILogger logger, Func<string, int>? shardOfMessage = null,
        bool removeDeliveredOnCompletion = false)
    {
        _connection = connection;
        _shardOfMessage = shardOfMessage;
        _removeDeliveredOnCompletion = removeDeliveredOnCompletion;
        _maxBatchSize = maxBatchSize;
        _logger = logger;
        _queue = Channel.CreateBounded<SqliteWriteOperation>(new BoundedChannelOptions(queueCapacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });

        _begin = Prepare("BEGIN IMMEDIATE");
        _commit = Prepare("COMMIT");
        _rollback = Prepare("ROLLBACK");

        _insertMessage = Prepare(SqliteSchema.InsertMessage);
        _messageId = Parameter(_insertMessage, "$id");
        _reversePath = Parameter(_insertMessage, "$reverse_path");
        _bodyType = Parameter(_insertMessage, "$body_type");
        _smtpUtf8 = Parameter(_insertMessage, "$smtputf8");
        _ret = Parameter(_insertMessage, "$ret");
        _envelopeId = Parameter(_insertMessage, "$envid");
        _receivedAt = Parameter(_insertMessage, "$received_at");
        _size = Parameter(_insertMessage, "$size");
        _clientAddress = Parameter(_insertMessage, "$client_address");
        _authUser = Parameter(_insertMessage, "$auth_user");
        _messageShard = Parameter(_insertMessage, "$shard");
        _messageTenant = Parameter(_insertMessage, "$tenant");
        _messageLane = Parameter(_insertMessage, "$lane");
        _messageCampaign = Parameter(_insertMessage, "$campaign");

        _insertRecipient = Prepare(SqliteSchema.InsertRecipient);
        _recipientMessageId = Parameter(_insertRecipient, "$message_id");
        _recipientAddress = Parameter(_insertRecipient, "$address");
        _recipientOrcpt = Parameter(_insertRecipient, "$orcpt");
        _recipientNotify = Parameter(_insertRecipient, "$notify");
        _recipientDomain = Parameter(_insertRecipient, "$domain");
        _recipientShard = Parameter(_insertRecipient, "$shard");
        _recipientLane = Parameter(_insertRecipient, "$lane");
        _recipientTenant = Parameter(_insertRecipient, "$tenant");
        _recipientNextAttempt = Parameter(_insertRecipient, "$next_attempt_at");
        _recipientQueuedAt = Parameter(_insertRecipient, "$queued_at");

        _updateRecipient = Prepare(SqliteSchema.UpdateRecipient);
        _updateId = Parameter(_updateRecipient, "$id");
        _updateState = Parameter(_updateRecipient, "$state");
        _updateNextAttempt = Parameter(_updateRecipient, "$next_attempt_at");
        _updateReply = Parameter(_updateRecipient, "$last_reply");
        _updateLocalFailures = Parameter(_updateRecipient, "$local_failures");
        _updateAttemptedAt = Parameter(_updateRecipient, "$last_attempt_at");
        _updateRemoteMta = Parameter(_updateRecipient, "$remote_mta");

        _deleteMessage = Prepare(SqliteSchema.DeleteMessage);
        _deleteId = Parameter(_deleteMessage, "$id");

        _deleteIfAllDelivered = Prepare(SqliteSchema.DeleteMessageIfAllDelivered);
        _deleteIfAllDeliveredId = Parameter(_deleteIfAllDelivered, "$id");

        _markComplete = Prepare(SqliteSchema.MarkCompleteIfLast);
        _markCompleteMessage = Parameter(_markComplete, "$message_id");
        _markCompleteNow = Parameter(_markComplete, "$now");
        _markCompleteShard = Parameter(_markComplete, "$shard");

        _selectCompletion = Prepare(SqliteSchema.SelectCompletion);
        _selectCompletionId = Parameter(_selectCompletion, "$id");

        _freelistCount = Prepare("PRAGMA freelist_count");
    }

    /// <summary>Compiles every statement (the schema must exist) and starts the loop.</summary>
    public void Start()
    {
        foreach (var command in Commands())
            command.Prepare();

        // Microsoft.Data.Sqlite is synchronous underneath its async methods, so the loop calls the
        // synchronous ones: while a batch commits it holds one pool thread, and only one, since
        // there is a single writer.
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Batches the loop has begun, committed or not; lets tests know a batch is in flight.</summary>
    internal long BatchesStarted => Interlocked.Read(ref _batchesStarted);

    public GroupCommitStatistics Statistics => new(
        Interlocked.Read(ref _committedBatches),
        Interlocked.Read(ref _committedMessages),
        Interlocked.Read(ref _committedOperations),
        Interlocked.Read(ref _failedOperations),
        Volatile.Read(ref _largestBatch));

    /// <summary>Queues a write; the task completes when its transaction is durable, or fails with it.</summary>
    public Task SubmitAsync(SqliteWriteOperation operation, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
            return Task.FromCanceled(cancellationToken);
        operation.AttachCancellation(cancellationToken);
        return _queue.Writer.TryWrite(operation) ? operation.Completion : SubmitSlowAsync(operation, cancellationToken);
    }

    private async Task SubmitSlowAsync(SqliteWriteOperation operation, CancellationToken cancellationToken)
    {
        try
        {
            await _queue.Writer.WriteAsync(operation, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            operation.Abandon();
            throw Volatile.Read(ref _fault) is { } fault
                ? new InvalidOperationException("The spool writer has stopped after an error.", fault)
                : new ObjectDisposedException(nameof(SqliteQueueStore));
        }
        catch (OperationCanceledException)
        {
            operation.Abandon();
            throw;
        }
        await operation.Completion.ConfigureAwait(false);
    }

    internal void InsertMessage(SpoolMessage message)
    {
        var receivedAt = message.ReceivedAt.ToUnixTimeMilliseconds();
        _messageId.Value = message.Id;
        _reversePath.Value = message.ReversePath;
        _bodyType.Value = StoredEnvelopeValues.FromBodyType(message.BodyType);
        _smtpUtf8.Value = message.SmtpUtf8 ? 1 : 0;
        _ret.Value = StoredEnvelopeValues.FromReturn(message.DsnReturn);
        _envelopeId.Value = (object?)message.EnvelopeId ?? DBNull.Value;
        _receivedAt.Value = receivedAt;
        _size.Value = message.Content.Length;
        _clientAddress.Value = (object?)message.ClientAddress ?? DBNull.Value;
        _authUser.Value = (object?)message.AuthenticatedUser ?? DBNull.Value;
        _messageShard.Value = message.Shard;
        _messageTenant.Value = message.Tenant;
        _messageLane.Value = (int)message.Lane;
        _messageCampaign.Value = (object?)message.Campaign ?? DBNull.Value;
        _insertMessage.ExecuteNonQuery();
        WriteBody(SQLitePCL.raw.sqlite3_last_insert_rowid(_connection.Handle), message.Content);

        _recipientMessageId.Value = message.Id;
        _recipientNextAttempt.Value = receivedAt;
        _recipientQueuedAt.Value = receivedAt;
        _recipientLane.Value = (int)message.Lane;
        _recipientTenant.Value = message.Tenant;
        foreach (var recipient in message.Recipients)
        {
            _recipientAddress.Value = recipient.Address;
            _recipientOrcpt.Value = (object?)recipient.OriginalRecipient ?? DBNull.Value;
            _recipientNotify.Value = StoredEnvelopeValues.FromNotify(recipient.Notify);
            _recipientDomain.Value = recipient.Domain;
            _recipientShard.Value = recipient.Shard;
            _insertRecipient.ExecuteNonQuery();
        }
    }

    private void WriteBody(long rowid, in MessageContent content)
    {
        if (content.IsEmpty) return;
        using var blob = new SqliteBlob(_connection, "messages", "body", rowid);
        foreach (var segment in content.Segments())
            blob.Write(segment.Span);
    }

    /// <summary>Records one outcome; returns the recipient's message id, or null when the recipient is gone.</summary>
    internal string? UpdateRecipient(RecipientAttempt attempt)
    {
        var attemptedAt = (attempt.AttemptedAt ?? DateTimeOffset.UtcNow).ToUnixTimeMilliseconds();
        _updateId.Value = attempt.RecipientId;
        _updateState.Value = (int)attempt.State;
        _updateNextAttempt.Value = attempt.NextAttemptAt.ToUnixTimeMilliseconds();
        _updateReply.Value = (object?)attempt.Reply ?? DBNull.Value;
        _updateLocalFailures.Value = attempt.LocalFailures;
        _updateAttemptedAt.Value = attemptedAt;
        _updateRemoteMta.Value = (object?)attempt.RemoteMta ?? DBNull.Value;
        return _updateRecipient.ExecuteScalar() as string;
    }

    /// <summary>
    /// Records that the message is complete when it has no pending recipient left (and is not marked
    /// already); returns the completion it wrote, else null. Run in the transaction of the outcomes,
    /// so a crash can never leave a message whose recipients are all final without the record.
    /// </summary>
    internal CompletedMessage? MarkCompleteIfDone(string messageId, DateTimeOffset at)
    {
        if (_removeDeliveredOnCompletion)
        {
            // The common end of a message: everything delivered, nothing to report, nothing kept. One
            // statement removes it (a probe of its recipients by the (message_id, state) index first).
            _deleteIfAllDeliveredId.Value = messageId;
            if (_deleteIfAllDelivered.ExecuteNonQuery() > 0) return new CompletedMessage(messageId, ShardOf(messageId), at, 0, Removed: true);
        }
        _markCompleteMessage.Value = messageId;
        _markCompleteNow.Value = at.ToUnixTimeMilliseconds();
        _markCompleteShard.Value = ShardOf(messageId);
        using var reader = _markComplete.ExecuteReader();
        return reader.Read() ? ReadCompletion(reader) : null;
    }

    /// <summary>The cluster's shard of a message id, or -1 when the store was not given the shard function.</summary>
    internal int ShardOf(string messageId) => _shardOfMessage?.Invoke(messageId) ?? -1;

    /// <summary>Runs <paramref name="work"/> in a transaction of its own (for upkeep that runs alone and writes more than one statement).</summary>
    internal void InTransaction(Action work)
    {
        _begin.ExecuteNonQuery();
        try
        {
            work();
            _commit.ExecuteNonQuery();
        }
        catch
        {
            RollbackIfOpen();
            throw;
        }
    }

    /// <summary>A completion row read as (message_id, shard, completed_at, undelivered), the last being <see cref="CompletedMessage.Reportable"/>.</summary>
    internal static CompletedMessage ReadCompletion(SqliteDataReader reader) =>
        new(reader.GetString(0), reader.GetInt32(1), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)), reader.GetInt32(3));

    /// <summary>Whether the message is marked complete and has been neither removed nor retained yet.</summary>
    internal bool IsCompleteAndUnfinished(string messageId)
    {
        _selectCompletionId.Value = messageId;
        using var reader = _selectCompletion.ExecuteReader();
        return reader.Read() && reader.IsDBNull(0);
    }

    internal void DeleteMessage(string messageId)
    {
        _deleteId.Value = messageId;
        _deleteMessage.ExecuteNonQuery();
    }

    /// <summary>Runs a statement that is not on the hot path, so it is compiled per call rather than kept prepared.</summary>
    internal int ExecuteStatement(string sql, (string Name, object? Value)[] parameters)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command.ExecuteNonQuery();
    }

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<SqliteWriteOperation>(_maxBatchSize);
        SqliteWriteOperation? alone = null;
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (batch.Count < _maxBatchSize && reader.TryRead(out var operation))
                {
                    if (!operation.TryTake())
                        continue;
                    if (operation.RunsAlone)
                    {
                        alone = operation;
                        break;
                    }
                    batch.Add(operation);
                }
                if (batch.Count > 0)
                {
                    WriteBatch(batch);
                    batch.Clear();
                }
                if (alone is not null)
                {
                    RunAlone(alone);
                    alone = null;
                }
            }
        }
        catch (Exception exception)
        {
            // Only a defect gets here (WriteBatch hands every database error to its callers); stop
            // taking writes rather than leave callers waiting for a loop that is gone.
            LogWriterStopped(exception);
            Volatile.Write(ref _fault, exception);
            _queue.Writer.TryComplete(exception);
            foreach (var operation in batch)
                operation.Fail(exception);
            alone?.Fail(exception);
            while (reader.TryRead(out var operation))
            {
                if (operation.TryTake())
                    operation.Fail(exception);
            }
        }
    }

    private void WriteBatch(List<SqliteWriteOperation> batch)
    {
        while (batch.Count > 0)
        {
            Interlocked.Increment(ref _batchesStarted);
            var failing = -1;
            var messages = 0;
            try
            {
                _begin.ExecuteNonQuery();
                try
                {
                    for (var i = 0; i < batch.Count; i++)
                    {
                        failing = i;
                        batch[i].Execute(this);
                        messages += batch[i].MessageCount;
                    }
                    failing = -1;
                    _commit.ExecuteNonQuery();
                }
                catch
                {
                    RollbackIfOpen();
                    throw;
                }
            }
            catch (Exception exception) when (failing >= 0 && IsCausedByTheWrite(exception))
            {
                // The rollback undid the whole batch. Only this write is at fault (a duplicate id,
                // a constraint): fail it alone and commit the others without it.
                LogWriteRejected(batch.Count - 1, exception);
                Interlocked.Increment(ref _failedOperations);
                batch[failing].Fail(exception);
                batch.RemoveAt(failing);
                continue;
            }
            catch (Exception exception)
            {
                // BEGIN, COMMIT or the disk failed: nothing of the batch is stored and retrying
                // write by write would only repeat the wait or the error for each caller.
                LogBatchFailed(batch.Count, exception);
                Interlocked.Add(ref _failedOperations, batch.Count);
                foreach (var operation in batch)
                    operation.Fail(exception);
                return;
            }

            Interlocked.Increment(ref _committedBatches);
            Interlocked.Add(ref _committedMessages, messages);
            Interlocked.Add(ref _committedOperations, batch.Count);
            if (batch.Count > _largestBatch)
                Volatile.Write(ref _largestBatch, batch.Count);
            foreach (var operation in batch)
                operation.Succeed();
            return;
        }
    }

    /// <summary>
    /// Runs upkeep in its own transaction. Its failure is its caller's alone, is not counted with the
    /// callers' writes, and never stops the loop: mail must keep being accepted when upkeep breaks.
    /// </summary>
    private void RunAlone(SqliteWriteOperation operation)
    {
        try
        {
            operation.Execute(this);
        }
        catch (Exception exception)
        {
            RollbackIfOpen();
            LogUpkeepFailed(exception);
            operation.Fail(exception);
            return;
        }
        operation.Succeed();
    }

    /// <summary>Writes waiting for the loop; none means the spool is idle at this instant.</summary>
    internal int QueuedWrites => _queue.Reader.Count;

    /// <summary>The file's free pages (from its header: no page is read).</summary>
    internal long FreePages() => Convert.ToInt64(_freelistCount.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Runs a statement that returns one row, e.g. a pragma, compiled per call.</summary>
    internal object?[] QueryRow(string sql) => QueryRows(sql, []) is [var row, ..] ? row : [];

    /// <summary>Runs a query that is not on the hot path (upkeep), compiled per call; every row as values.</summary>
    internal List<object?[]> QueryRows(string sql, (string Name, object? Value)[] parameters)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        using var reader = command.ExecuteReader();
        var rows = new List<object?[]>();
        while (reader.Read())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }

    /// <summary>True for errors that come from the data of one write rather than from the database or the disk.</summary>
    private static bool IsCausedByTheWrite(Exception exception) =>
        exception is not SqliteException sqlite
        || sqlite.SqliteErrorCode is SQLitePCL.raw.SQLITE_CONSTRAINT or SQLitePCL.raw.SQLITE_TOOBIG
            or SQLitePCL.raw.SQLITE_MISMATCH or SQLitePCL.raw.SQLITE_RANGE;

    private void RollbackIfOpen()
    {
        // SQLite rolls back by itself on some errors (I/O, full disk); a ROLLBACK then would fail
        // and hide the original error.
        if (SQLitePCL.raw.sqlite3_get_autocommit(_connection.Handle) != 0)
            return;
        try
        {
            _rollback.ExecuteNonQuery();
        }
        catch (SqliteException exception)
        {
            LogRollbackFailed(exception);
        }
    }

    private SqliteCommand Prepare(string sql)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }

    private static SqliteParameter Parameter(SqliteCommand command, string name, SqliteType? type = null)
    {
        var parameter = type is { } t ? command.Parameters.Add(name, t) : command.Parameters.Add(new SqliteParameter { ParameterName = name });
        parameter.Value = DBNull.Value;
        return parameter;
    }

    private IEnumerable<SqliteCommand> Commands() =>
        [_begin, _commit, _rollback, _insertMessage, _insertRecipient, _updateRecipient, _deleteMessage, _deleteIfAllDelivered, _markComplete, _selectCompletion, _freelistCount];

    /// <summary>Stops taking writes, commits what is already queued, then closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        if (_loop is not null)
            await _loop.ConfigureAwait(false);
        foreach (var command in Commands())
            command.Dispose();
        await _connection.DisposeAsync().ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A spool write was rejected; committing the {Remaining} others of its batch without it")]
    private partial void LogWriteRejected(int remaining, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "A spool transaction of {Count} writes failed; every caller in it gets the error")]
    private partial void LogBatchFailed(int count, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Spool upkeep (vacuum step or checkpoint) failed; it is tried again when the spool is next idle")]
    private partial void LogUpkeepFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Rolling back a failed spool transaction failed")]
    private partial void LogRollbackFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The spool writer stopped; every further write will fail")]
    private partial void LogWriterStopped(Exception exception);
}
