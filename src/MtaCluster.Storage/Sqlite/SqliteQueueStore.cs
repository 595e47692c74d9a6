using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MtaCluster.Mail;

namespace MtaCluster.Storage.Sqlite;

/// <summary>
/// The embedded spool: one SQLite file in WAL mode. Every write (enqueue, attempt outcomes,
/// deletion) goes through one group-committing writer connection; reads use pooled connections of
/// their own, which WAL lets run beside the writer without blocking it.
/// </summary>
public sealed partial class SqliteQueueStore : IQueueStore, IGroupCommitMetrics, IDeferredStartupWork
{
    private readonly SqliteQueueStoreOptions _options;
    private readonly ILogger<SqliteQueueStore> _logger;
    private readonly string _readConnectionString;
    private readonly string _writeConnectionString;
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private SqliteSpoolWriter? _writer;
    private SqliteSpaceReclaimer? _reclaimer;
    private SqliteCompletionBackfill? _backfill;
    private SqliteLaneIndexBuild? _laneIndexBuild;
    private volatile bool _laneIndexReady;
    private bool _disposed;

    public SqliteQueueStore(SqliteQueueStoreOptions options, ILogger<SqliteQueueStore>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _logger = logger ?? NullLogger<SqliteQueueStore>.Instance;

        var timeoutSeconds = (int)Math.Ceiling(options.BusyTimeout.TotalSeconds);
        _readConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = options.DatabasePath,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = true,
            DefaultTimeout = timeoutSeconds,
        }.ToString();
        // Unpooled so that disposing the store really closes the file (and checkpoints the WAL).
        _writeConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = options.DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = timeoutSeconds,
        }.ToString();
    }

    /// <summary>Where the spool lives.</summary>
    public string DatabasePath => _options.DatabasePath;

    /// <inheritdoc />
    public GroupCommitStatistics GetGroupCommitStatistics() =>
        _writer?.Statistics ?? new GroupCommitStatistics(0, 0, 0, 0, 0);

    internal long BatchesStarted => _writer?.BatchesStarted ?? 0;

    /// <summary>Completes when the upgrade's walk over messages complete before it is done (at once when none was scheduled).</summary>
    internal Task CompletionBackfill => _backfill?.Completion ?? Task.CompletedTask;

    /// <summary>Completes when the lane index exists: at once on a file that has it, else when its build behind the start commits (or fails).</summary>
    internal Task LaneIndexBuild => _laneIndexBuild?.Completion ?? Task.CompletedTask;

    /// <summary>Whether the spool file has its lane index (false on a file upgraded from version 4 until the build commits).</summary>
    public bool HasLaneIndex => _laneIndexReady;

    /// <summary>Opens the file (creating it and its directory when missing), sets up WAL and the schema, and starts the writer.</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_writer is not null)
                return;

            var directory = Path.GetDirectoryName(Path.GetFullPath(_options.DatabasePath));
            if (!string.IsNullOrEmpty(directory))
                Directory.CreateDirectory(directory);

            var connection = new SqliteConnection(_writeConnectionString);
            try
            {
                await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                await ConfigureAsync(connection, cancellationToken).ConfigureAwait(false);
                await CreateSchemaAsync(connection, cancellationToken).ConfigureAwait(false);
                var backfillScheduled = await ScalarAsync(connection, SqliteCompletionBackfill.IsScheduled, cancellationToken).ConfigureAwait(false) is not null;
                _laneIndexReady = await ScalarAsync(connection, SqliteSchema.LaneIndexExists, cancellationToken).ConfigureAwait(false) is not null;
                var writer = new SqliteSpoolWriter(connection, _options.MaxBatchSize, _options.QueueCapacity, _logger, _options.ShardOfMessage, _options.RemoveDeliveredOnCompletion);
                writer.Start();
                _writer = writer;
                _reclaimer = new SqliteSpaceReclaimer(writer, _options, _logger);
                _reclaimer.Start();
                if (backfillScheduled)
                {
                    _backfill = new SqliteCompletionBackfill(writer, _logger);
                    _backfill.Start();
                }
                if (!_laneIndexReady)
                {
                    _laneIndexBuild = new SqliteLaneIndexBuild(writer, () => _laneIndexReady = true, _logger);
                    if (!_options.DeferUpgradeWork)
                        _laneIndexBuild.Start();
                }
            }
            catch
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <inheritdoc />
    public void StartDeferredWork()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _laneIndexBuild?.Start();
    }

    private async Task ConfigureAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        // journal_mode is stored in the file; the others hold for this connection only, which is
        // the only one that writes.
        // Must precede the first table to take effect: a new file then hands the pages of removed
        // mail back with incremental_vacuum. An older file keeps reusing its free pages instead,
        // which holds its size flat too; converting it would take a VACUUM of the whole spool.
        await ExecuteAsync(connection, "PRAGMA auto_vacuum = INCREMENTAL", cancellationToken).ConfigureAwait(false);
        if (await ScalarAsync(connection, "PRAGMA auto_vacuum", cancellationToken).ConfigureAwait(false) is 0L)
        {
            _logger.LogWarning("the spool file {Path} was created without incremental vacuum: the pages of removed mail are reused, " +
                "but the file never shrinks. To convert it, stop the node and run: sqlite3 {Path} 'PRAGMA auto_vacuum = INCREMENTAL; VACUUM;'",
                _options.DatabasePath, _options.DatabasePath);
        }
        var mode = await ScalarAsync(connection, "PRAGMA journal_mode = WAL", cancellationToken).ConfigureAwait(false);
        if (!string.Equals(mode as string, "wal", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"The spool file could not be switched to WAL mode (it is in '{mode}' mode).");

        var (synchronous, level) = _options.Synchronous == SqliteSynchronous.Full ? ("FULL", 2L) : ("NORMAL", 1L);
        await ExecuteAsync(connection, $"PRAGMA synchronous = {synchronous}", cancellationToken).ConfigureAwait(false);
        // An unknown or refused setting is silently ignored by SQLite; the 250 promise rests on this one.
        if (await ScalarAsync(connection, "PRAGMA synchronous", cancellationToken).ConfigureAwait(false) is not long actual || actual != level)
            throw new InvalidOperationException($"The spool connection did not take synchronous={synchronous}.");
        await ExecuteAsync(connection, "PRAGMA foreign_keys = ON", cancellationToken).ConfigureAwait(false);
        // Checkpoints keep the log's pages cycling, but a log that once grew (a burst, a long reader)
        // stays that big on disk unless it is cut back after a checkpoint.
        await ExecuteAsync(connection, $"PRAGMA journal_size_limit = {SqliteQueueStoreOptions.WriteAheadLogSizeLimit}", cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, $"PRAGMA busy_timeout = {(long)_options.BusyTimeout.TotalMilliseconds}", cancellationToken).ConfigureAwait(false);
    }

    private static async Task CreateSchemaAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, "BEGIN IMMEDIATE", cancellationToken).ConfigureAwait(false);
        try
        {
            var version = Convert.ToInt32(await ScalarAsync(connection, "PRAGMA user_version", cancellationToken).ConfigureAwait(false));
            if (version > SqliteSchema.Version)
                throw new InvalidOperationException($"The spool file has schema version {version}; this build knows up to {SqliteSchema.Version}.");
            await SqliteSchemaMigration.ApplyAsync(connection, version, cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, SqliteSchema.Create, cancellationToken).ConfigureAwait(false);
            if (version == 0)
                await ExecuteAsync(connection, SqliteSchema.CreateLaneIndex, cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, $"PRAGMA user_version = {SqliteSchema.Version}", cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, "COMMIT", cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await ExecuteAsync(connection, "ROLLBACK", CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public Task EnqueueAsync(SpoolMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentException.ThrowIfNullOrEmpty(message.Id, nameof(message));
        ArgumentNullException.ThrowIfNull(message.ReversePath, nameof(message));
        if (message.Recipients is not { Count: > 0 })
            throw new ArgumentException("A message needs at least one recipient.", nameof(message));
        return Writer.SubmitAsync(new SqliteEnqueueOperation(message), cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<CompletedMessage>> RecordAttemptsAsync(IReadOnlyList<RecipientAttempt> attempts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(attempts);
        if (attempts.Count == 0)
            return [];
        var operation = new SqliteRecordAttemptsOperation(attempts);
        await Writer.SubmitAsync(operation, cancellationToken).ConfigureAwait(false);
        return operation.Completed;
    }

    /// <inheritdoc />
    public Task DeleteMessageAsync(string messageId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(messageId);
        return Writer.SubmitAsync(new SqliteDeleteMessageOperation(messageId), cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<CompletedMessage>> GetCompletedMessagesAsync(int? shard, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        await using var connection = await OpenReadAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = shard is null ? SqliteSchema.SelectCompleted : SqliteSchema.SelectCompletedForShard;
        if (shard is not null)
            command.Parameters.AddWithValue("$shard", shard.Value);
        command.Parameters.AddWithValue("$limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var completed = new List<CompletedMessage>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            completed.Add(SqliteSpoolWriter.ReadCompletion(reader));
        return completed;
    }

    /// <inheritdoc />
    public async Task<bool> FinishMessageAsync(string messageId, IReadOnlyList<SpoolMessage> notifications, DateTimeOffset? retainUntil = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(messageId);
        ArgumentNullException.ThrowIfNull(notifications);
        foreach (var notification in notifications)
        {
            if (notification.Recipients is not { Count: > 0 })
                throw new ArgumentException("A notification needs at least one recipient.", nameof(notifications));
        }
        var operation = new SqliteFinishMessageOperation(messageId, notifications, retainUntil);
        await Writer.SubmitAsync(operation, cancellationToken).ConfigureAwait(false);
        return operation.Finished;
    }

    /// <inheritdoc />
    public async Task<bool> RecordDelayNoticeAsync(IReadOnlyList<long> recipientIds, DateTimeOffset noticeAt, SpoolMessage? notification, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(recipientIds);
        if (notification is { Recipients.Count: 0 })
            throw new ArgumentException("A notification needs at least one recipient.", nameof(notification));
        var operation = new SqliteDelayNoticeOperation(recipientIds, noticeAt, notification);
        await Writer.SubmitAsync(operation, cancellationToken).ConfigureAwait(false);
        return operation.Recorded;
    }

    /// <inheritdoc />
    public async Task<int> DeleteRetainedMessagesAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var operation = new SqliteDeleteRetainedOperation(now, limit);
        await Writer.SubmitAsync(operation, cancellationToken).ConfigureAwait(false);
        return operation.Deleted;
    }

    /// <inheritdoc />
    public async Task<SpoolSpace> GetSpaceAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenReadAsync(cancellationToken).ConfigureAwait(false);
        var pageSize = Convert.ToInt64(await ScalarAsync(connection, "PRAGMA page_size", cancellationToken).ConfigureAwait(false));
        var pages = Convert.ToInt64(await ScalarAsync(connection, "PRAGMA page_count", cancellationToken).ConfigureAwait(false));
        var free = Convert.ToInt64(await ScalarAsync(connection, "PRAGMA freelist_count", cancellationToken).ConfigureAwait(false));
        var walPath = _options.DatabasePath + "-wal";
        var wal = File.Exists(walPath) ? new FileInfo(walPath).Length : 0;
        return new SpoolSpace(pages * pageSize, free * pageSize, wal);
    }

    /// <inheritdoc />
    public Task ReclaimFreeSpaceAsync(int maxPages, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPages, 1);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var reclaimer = _reclaimer ?? throw new InvalidOperationException("The spool is not initialized; call InitializeAsync first.");
        // In small steps, each apart from the callers' batches; the store also does this by itself when quiet.
        return reclaimer.ReclaimAsync(maxPages, static () => true, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<QueuedRecipient>> GetDueRecipientsAsync(int shard, DateTimeOffset now, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        await using var connection = await OpenReadAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = SqliteSchema.SelectDueForShard;
        command.Parameters.AddWithValue("$shard", shard);
        command.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$limit", limit);
        return await ReadRecipientsAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<QueuedRecipient>> GetDueRecipientsForDomainAsync(string domain, DateTimeOffset now, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        await using var connection = await OpenReadAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = SqliteSchema.SelectDueForDomain;
        command.Parameters.AddWithValue("$domain", domain);
        command.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$limit", limit);
        return await ReadRecipientsAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<QueuedRecipient>> GetDueRecipientsForDomainAsync(string domain, DeliveryLane lane, string tenant, DateTimeOffset now, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        await using var connection = await OpenReadAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = SqliteSchema.SelectDueForLane;
        command.Parameters.AddWithValue("$domain", domain);
        command.Parameters.AddWithValue("$lane", (int)lane);
        command.Parameters.AddWithValue("$tenant", tenant);
        command.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$limit", limit);
        return await ReadRecipientsAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<LaneQueue>> GetLaneQueuesAsync(string domain, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(domain);
        if (!_laneIndexReady)
            return await GetLaneQueuesWithoutLaneIndexAsync(domain, cancellationToken).ConfigureAwait(false);
        await using var connection = await OpenReadAsync(cancellationToken).ConfigureAwait(false);
        // One read transaction, so the seeks see one snapshot.
        await using var transaction = connection.BeginTransaction(deferred: true);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = SqliteSchema.SelectNextLaneQueue;
        command.Parameters.AddWithValue("$domain", domain);
        // Below every stored lane (0 and 1), so the first seek finds the first queue.
        var lane = command.Parameters.AddWithValue("$lane", -1);
        var tenant = command.Parameters.AddWithValue("$tenant", "");
        var queues = new List<LaneQueue>();
        while (true)
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) break;
            var found = new LaneQueue((DeliveryLane)reader.GetInt32(0), reader.GetString(1), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)));
            queues.Add(found);
            lane.Value = (int)found.Lane;
            tenant.Value = found.Tenant;
        }
        return queues;
    }

    private async Task<IReadOnlyList<LaneQueue>> GetLaneQueuesWithoutLaneIndexAsync(string domain, CancellationToken cancellationToken)
    {
        await using var connection = await OpenReadAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = SqliteSchema.SelectLaneQueuesWithoutLaneIndex;
        command.Parameters.AddWithValue("$domain", domain);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var queues = new List<LaneQueue>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            queues.Add(new LaneQueue((DeliveryLane)reader.GetInt32(0), reader.GetString(1), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2))));
        return queues;
    }

    /// <inheritdoc />
    public async Task<DateTimeOffset?> GetNextAttemptTimeAsync(string domain, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(domain);
        await using var connection = await OpenReadAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = SqliteSchema.SelectNextAttempt;
        command.Parameters.AddWithValue("$domain", domain);
        var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return value is long ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
    }

    /// <inheritdoc />
    public async Task<PendingDomainsPage> GetPendingDomainsAsync(string? after, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        await using var connection = await OpenReadAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = SqliteSchema.SelectPendingDomainsPage;
        // Every domain sorts after the empty string (BINARY collation), so "" starts the walk.
        command.Parameters.AddWithValue("$after", after ?? "");
        command.Parameters.AddWithValue("$limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var domainColumn = reader.GetOrdinal("domain");
        var dueColumn = reader.GetOrdinal("next_attempt_at");
        var shardColumn = reader.GetOrdinal("shard");
        var domains = new List<DomainWork>();
        string? last = null;
        var visited = 0;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            visited++;
            var domain = reader.GetString(domainColumn);
            // The walk covers the domains right after $after, so the next page starts after the greatest
            // of them; taking the greatest rather than the last row read asks nothing of the row order.
            if (last is null || string.CompareOrdinal(domain, last) > 0) last = domain;
            // A domain whose recipients are all final has no earliest pending time.
            if (reader.IsDBNull(dueColumn))
                continue;
            domains.Add(new DomainWork(domain, reader.GetInt32(shardColumn), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(dueColumn))));
        }
        return new PendingDomainsPage(domains, visited < limit ? null : last);
    }

    /// <inheritdoc />
    public async Task<int> GetOrStoreShardCountAsync(int maxShards, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxShards, 1);
        await Writer.SubmitAsync(new SqliteStatementOperation(SqliteSchema.InsertSettingIfAbsent,
            ("$key", MaxShardsSetting), ("$value", maxShards.ToString(System.Globalization.CultureInfo.InvariantCulture))), cancellationToken).ConfigureAwait(false);
        await using var connection = await OpenReadAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = SqliteSchema.SelectSetting;
        command.Parameters.AddWithValue("$key", MaxShardsSetting);
        var stored = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
        return int.TryParse(stored, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var shards)
            ? shards
            : throw new InvalidDataException($"The spool's stored shard count '{stored}' is not a number.");
    }

    private const string MaxShardsSetting = "max_shards";

    private const string PlacementSetting = "placement";

    /// <inheritdoc />
    public async Task<string?> GetPlacementAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenReadAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = SqliteSchema.SelectSetting;
        command.Parameters.AddWithValue("$key", PlacementSetting);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
    }

    /// <inheritdoc />
    public Task StorePlacementAsync(string fingerprint, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(fingerprint);
        return Writer.SubmitAsync(new SqliteStatementOperation(SqliteSchema.UpsertSetting, ("$key", PlacementSetting), ("$value", fingerprint)), cancellationToken);
    }

    /// <inheritdoc />
    public async Task<int> RefileDomainAsync(string domain, int shard, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(domain);
        ArgumentOutOfRangeException.ThrowIfNegative(shard);
        var refile = new SqliteRefileDomainOperation(domain, shard);
        await Writer.SubmitAsync(refile, cancellationToken).ConfigureAwait(false);
        return refile.Moved;
    }

    /// <inheritdoc />
    public Task SuspendDomainAsync(DomainSuspension suspension, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(suspension);
        ArgumentException.ThrowIfNullOrEmpty(suspension.Domain, nameof(suspension));
        return Writer.SubmitAsync(new SqliteStatementOperation(SqliteSchema.UpsertSuspension,
            ("$domain", suspension.Domain),
            ("$suspended_at", suspension.SuspendedAt.ToUnixTimeMilliseconds()),
            ("$until", suspension.Until?.ToUnixTimeMilliseconds()),
            ("$reason", suspension.Reason)), cancellationToken);
    }

    /// <inheritdoc />
    public Task ResumeDomainAsync(string domain, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(domain);
        return Writer.SubmitAsync(new SqliteStatementOperation(SqliteSchema.DeleteSuspension, ("$domain", domain)), cancellationToken);
    }

    // Rows a flush moves per transaction of the single writer: a few milliseconds each, so mail being
    // spooled meanwhile waits no longer than that (one statement over 100,000 rows held it 0.6 s).
    private const int FlushPartSize = 5000;

    /// <inheritdoc />
    public async Task<int> FlushDomainAsync(string domain, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(domain);
        var moved = 0;
        SqliteFlushDomainOperation part;
        do
        {
            part = new SqliteFlushDomainOperation(domain, now, FlushPartSize);
            await Writer.SubmitAsync(part, cancellationToken).ConfigureAwait(false);
            moved += part.Moved;
        } while (part.Moved == FlushPartSize);
        return moved;
    }

    /// <inheritdoc />
    public async Task<DomainPurge> PurgeDomainAsync(string domain, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(domain);
        var parts = new List<DomainPurge>();
        SqlitePurgeDomainOperation part;
        do
        {
            part = new SqlitePurgeDomainOperation(domain, now, IQueueStore.PurgePartSize);
            await Writer.SubmitAsync(part, cancellationToken).ConfigureAwait(false);
            parts.Add(part.Result);
        } while (part.Result.Recipients.Count == IQueueStore.PurgePartSize);
        return DomainPurge.Combine(domain, parts);
    }

    /// <inheritdoc />
    public async Task<DomainSuspension?> GetDomainSuspensionAsync(string domain, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(domain);
        await using var connection = await OpenReadAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = SqliteSchema.SelectSuspension;
        command.Parameters.AddWithValue("$domain", domain);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            return null;
        var until = reader.GetOrdinal("until");
        var reason = reader.GetOrdinal("reason");
        return new DomainSuspension(
            reader.GetString(reader.GetOrdinal("domain")),
            DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(reader.GetOrdinal("suspended_at"))),
            reader.IsDBNull(until) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(until)),
            NullableString(reader, reason));
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<QueuedRecipient>> GetRecipientsAsync(string messageId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messageId);
        await using var connection = await OpenReadAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = SqliteSchema.SelectRecipientsOfMessage;
        command.Parameters.AddWithValue("$id", messageId);
        return await ReadRecipientsAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<QueueStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenReadAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = SqliteSchema.SelectStatistics;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return new QueueStatistics(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4));
    }

    /// <summary>A read connection on the spool file, for diagnostics and tests (e.g. <c>EXPLAIN QUERY PLAN</c>).</summary>
    public async Task<SqliteConnection> OpenReadConnectionAsync(CancellationToken cancellationToken = default) =>
        await OpenReadAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>Stops taking writes, commits those already queued, and closes the file.</summary>
    public async ValueTask DisposeAsync()
    {
        await _lifecycle.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
                return;
            _disposed = true;
            if (_backfill is not null)
                await _backfill.DisposeAsync().ConfigureAwait(false);
            if (_laneIndexBuild is not null)
                await _laneIndexBuild.DisposeAsync().ConfigureAwait(false);
            if (_reclaimer is not null)
                await _reclaimer.DisposeAsync().ConfigureAwait(false);
            if (_writer is not null)
                await _writer.DisposeAsync().ConfigureAwait(false);
            using (var pooled = new SqliteConnection(_readConnectionString))
                SqliteConnection.ClearPool(pooled);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    private SqliteSpoolWriter Writer
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _writer ?? throw new InvalidOperationException("The spool is not initialized; call InitializeAsync first.");
        }
    }

    private async Task<SqliteConnection> OpenReadAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var connection = new SqliteConnection(_readConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<IReadOnlyList<QueuedRecipient>> ReadRecipientsAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var recipients = new List<QueuedRecipient>();
        // By name, once per query: a column added by a later schema version cannot shift the others.
        var id = reader.GetOrdinal("id");
        var messageId = reader.GetOrdinal("message_id");
        var address = reader.GetOrdinal("address");
        var domain = reader.GetOrdinal("domain");
        var shard = reader.GetOrdinal("shard");
        var orcpt = reader.GetOrdinal("orcpt");
        var notify = reader.GetOrdinal("notify");
        var state = reader.GetOrdinal("state");
        var attempts = reader.GetOrdinal("attempts");
        var nextAttemptAt = reader.GetOrdinal("next_attempt_at");
        var queuedAt = reader.GetOrdinal("queued_at");
        var lastReply = reader.GetOrdinal("last_reply");
        var localFailures = reader.GetOrdinal("local_failures");
        var delayNoticeAt = reader.GetOrdinal("delay_notice_at");
        var lastAttemptAt = reader.GetOrdinal("last_attempt_at");
        var remoteMta = reader.GetOrdinal("remote_mta");
        var lane = reader.GetOrdinal("lane");
        var tenant = reader.GetOrdinal("tenant");
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            recipients.Add(new QueuedRecipient(
                reader.GetInt64(id),
                reader.GetString(messageId),
                reader.GetString(address),
                reader.GetString(domain),
                reader.GetInt32(shard),
                NullableString(reader, orcpt),
                StoredEnvelopeValues.ToNotify(reader.GetInt64(notify)),
                (RecipientState)reader.GetInt32(state),
                reader.GetInt32(attempts),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(nextAttemptAt)),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(queuedAt)),
                NullableString(reader, lastReply),
                reader.GetInt32(localFailures),
                NullableTime(reader, delayNoticeAt),
                NullableTime(reader, lastAttemptAt),
                NullableString(reader, remoteMta),
                (DeliveryLane)reader.GetInt32(lane),
                reader.GetString(tenant)));
        }
        return recipients;
    }

    private static DateTimeOffset? NullableTime(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(ordinal));

    private static string? NullableString(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<object?> ScalarAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }
}
