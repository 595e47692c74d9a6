using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MtaCluster.Mail;
using Npgsql;

namespace MtaCluster.Storage.Postgres;

/// <summary>
/// The cluster's spool: one PostgreSQL database shared by every node. Accepted mail goes through one
/// group-committing writer per node (<see cref="PostgresSpoolWriter"/>); a shard owner's writes
/// (outcomes, completion, DSNs, removal) each run in a transaction of their own, fenced by the shard
/// leases when <see cref="PostgresQueueStoreOptions.Fencing"/> is set; reads use pooled connections.
/// </summary>
public sealed partial class PostgresQueueStore : IQueueStore, IGroupCommitMetrics
{
    private const string MaxShardsSetting = "max_shards";

    private readonly PostgresQueueStoreOptions _options;
    private readonly ILogger<PostgresQueueStore> _logger;
    private readonly NpgsqlDataSource _dataSource;
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private PostgresSpoolWriter? _writer;
    private bool _disposed;

    public PostgresQueueStore(PostgresQueueStoreOptions options, ILogger<PostgresQueueStore>? logger = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _logger = logger ?? NullLogger<PostgresQueueStore>.Instance;
        var builder = new NpgsqlDataSourceBuilder(options.ConnectionString);
        var settings = builder.ConnectionStringBuilder;
        // The 250 promise rests on this: a commit returns only once its WAL is flushed, whatever the
        // server's or the role's default says.
        // A frozen node's open transaction must not hold lease rows for good (see IdleInTransactionTimeout).
        var sessionSettings = $"-c synchronous_commit=on -c idle_in_transaction_session_timeout={(long)options.IdleInTransactionTimeout.TotalMilliseconds}";
        settings.Options = string.IsNullOrWhiteSpace(settings.Options) ? sessionSettings : settings.Options + " " + sessionSettings;
        settings.CommandTimeout = (int)Math.Ceiling(options.CommandTimeout.TotalSeconds);
        // The same few statements run all day: prepared once per physical connection, by Npgsql.
        if (settings.MaxAutoPrepare == 0) settings.MaxAutoPrepare = 64;
        if (loggerFactory is not null) builder.UseLoggerFactory(loggerFactory);
        _dataSource = builder.Build();
    }

    /// <summary>The store's sessions, with the settings it gives them (for tests of those settings).</summary>
    internal NpgsqlDataSource DataSource => _dataSource;

    /// <inheritdoc />
    public GroupCommitStatistics GetGroupCommitStatistics() =>
        _writer?.Statistics ?? new GroupCommitStatistics(0, 0, 0, 0, 0);

    internal long BatchesStarted => _writer?.BatchesStarted ?? 0;

    /// <summary>
    /// Creates or upgrades the schema (under a transaction-level advisory lock, so nodes starting
    /// together migrate one after another and the later ones find it done) and starts the writer.
    /// </summary>
    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_writer is not null)
                return;
            await using (var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false))
            {
                var synchronous = await ScalarAsync(connection, "SHOW synchronous_commit", cancellationToken).ConfigureAwait(false) as string;
                if (!string.Equals(synchronous, "on", StringComparison.OrdinalIgnoreCase))
                    throw new InvalidOperationException($"The spool's sessions run with synchronous_commit={synchronous}; it must be on.");
                await MigrateAsync(connection, cancellationToken).ConfigureAwait(false);
            }
            var writer = new PostgresSpoolWriter(_dataSource, _options, _logger);
            writer.Start();
            _writer = writer;
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    private static async Task MigrateAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var command = Command(connection, "SELECT pg_advisory_xact_lock($1)", PostgresSchema.MigrationLockKey))
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, PostgresSchema.CreateVersionTable, cancellationToken).ConfigureAwait(false);
        var version = await ScalarAsync(connection, PostgresSchema.SelectVersion, cancellationToken).ConfigureAwait(false) is int stored ? stored : 0;
        if (version > PostgresSchema.Version)
            throw new InvalidOperationException($"The spool database has schema version {version}; this build knows up to {PostgresSchema.Version}.");
        if (version < PostgresSchema.Version)
        {
            await ExecuteAsync(connection, PostgresSchema.Create, cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, PostgresSchema.ClearVersion, cancellationToken).ConfigureAwait(false);
            await using var store = Command(connection, PostgresSchema.StoreVersion, PostgresSchema.Version);
            await store.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task EnqueueAsync(SpoolMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentException.ThrowIfNullOrEmpty(message.Id, nameof(message));
        ArgumentNullException.ThrowIfNull(message.ReversePath, nameof(message));
        if (message.Recipients is not { Count: > 0 })
            throw new ArgumentException("A message needs at least one recipient.", nameof(message));
        return Writer.SubmitAsync(new PostgresEnqueueRequest(message), cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<QueuedRecipient>> GetDueRecipientsAsync(int shard, DateTimeOffset now, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, PostgresSchema.SelectDueForShard, shard, now.ToUnixTimeMilliseconds(), limit);
        return await PostgresRecipientReader.ReadAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<QueuedRecipient>> GetDueRecipientsForDomainAsync(string domain, DateTimeOffset now, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, PostgresSchema.SelectDueForDomain, domain, now.ToUnixTimeMilliseconds(), limit);
        return await PostgresRecipientReader.ReadAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<QueuedRecipient>> GetDueRecipientsForDomainAsync(string domain, DeliveryLane lane, string tenant, DateTimeOffset now, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, PostgresSchema.SelectDueForLane, domain, (short)lane, tenant, now.ToUnixTimeMilliseconds(), limit);
        return await PostgresRecipientReader.ReadAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<LaneQueue>> GetLaneQueuesAsync(string domain, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(domain);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, PostgresSchema.SelectLaneQueues, domain);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var queues = new List<LaneQueue>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (reader.IsDBNull(2)) continue;
            queues.Add(new LaneQueue((DeliveryLane)reader.GetInt16(0), reader.GetString(1), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2))));
        }
        return queues;
    }

    /// <inheritdoc />
    public async Task<DateTimeOffset?> GetNextAttemptTimeAsync(string domain, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(domain);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, PostgresSchema.SelectNextAttempt, domain);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
    }

    /// <inheritdoc />
    public async Task<PendingDomainsPage> GetPendingDomainsAsync(string? after, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, PostgresSchema.SelectPendingDomainsPage, after ?? "", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var domains = new List<DomainWork>();
        var visited = 0;
        string? last = null;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            visited++;
            last = reader.GetString(0);
            // A domain whose recipients are all final has no earliest pending time.
            if (reader.IsDBNull(1) || reader.IsDBNull(2)) continue;
            domains.Add(new DomainWork(last, reader.GetInt32(2), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1))));
        }
        return new PendingDomainsPage(domains, visited < limit ? null : last);
    }

    /// <inheritdoc />
    public async Task<int> GetOrStoreShardCountAsync(int maxShards, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxShards, 1);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (var insert = Command(connection, PostgresSchema.InsertSettingIfAbsent, MaxShardsSetting, maxShards.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await using var select = Command(connection, PostgresSchema.SelectSetting, MaxShardsSetting);
        var stored = await select.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
        return int.TryParse(stored, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var shards)
            ? shards
            : throw new InvalidDataException($"The spool's stored shard count '{stored}' is not a number.");
    }

    private const string PlacementSetting = "placement";

    /// <inheritdoc />
    public async Task<string?> GetPlacementAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var select = Command(connection, PostgresSchema.SelectSetting, PlacementSetting);
        return await select.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
    }

    /// <inheritdoc />
    public async Task StorePlacementAsync(string fingerprint, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(fingerprint);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var upsert = Command(connection, PostgresSchema.UpsertSetting, PlacementSetting, fingerprint);
        await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<int> RefileDomainAsync(string domain, int shard, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(domain);
        ArgumentOutOfRangeException.ThrowIfNegative(shard);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var update = Command(connection, PostgresSchema.RefileDomain, domain, shard);
        return await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task SuspendDomainAsync(DomainSuspension suspension, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(suspension);
        ArgumentException.ThrowIfNullOrEmpty(suspension.Domain, nameof(suspension));
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, PostgresSchema.UpsertSuspension,
            suspension.Domain, suspension.SuspendedAt.ToUnixTimeMilliseconds(), suspension.Until?.ToUnixTimeMilliseconds(), suspension.Reason);
        command.Parameters[2].NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint;
        command.Parameters[3].NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task ResumeDomainAsync(string domain, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(domain);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, PostgresSchema.DeleteSuspension, domain);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<DomainSuspension?> GetDomainSuspensionAsync(string domain, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(domain);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, PostgresSchema.SelectSuspension, domain);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            return null;
        return new DomainSuspension(
            reader.GetString(0),
            DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)),
            reader.IsDBNull(2) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)),
            reader.IsDBNull(3) ? null : reader.GetString(3));
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<QueuedRecipient>> GetRecipientsAsync(string messageId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messageId);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, PostgresSchema.SelectRecipientsOfMessage, messageId);
        return await PostgresRecipientReader.ReadAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<CompletedMessage>> GetCompletedMessagesAsync(int? shard, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = shard is { } s
            ? Command(connection, PostgresSchema.SelectCompletedForShard, s, limit)
            : Command(connection, PostgresSchema.SelectCompleted, limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var completed = new List<CompletedMessage>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            completed.Add(ReadCompletion(reader));
        return completed;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<CompletedMessage>> GetCompletedMessagesOfShardsAsync(IReadOnlyCollection<int> shards, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        if (shards.Count == 0) return [];
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, PostgresSchema.SelectCompletedForShards, shards.ToArray(), limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var completed = new List<CompletedMessage>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            completed.Add(ReadCompletion(reader));
        return completed;
    }

    /// <inheritdoc />
    public async Task<QueueStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, PostgresSchema.SelectStatistics);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return new QueueStatistics(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4));
    }

    /// <summary>
    /// The spool tables' pg_total_relation_size (heap, TOAST and indexes). Free space is reported as 0
    /// and the WAL as 0: PostgreSQL reuses a table's free space by itself (autovacuum), and its WAL is
    /// the server's, shared with every other database of the cluster.
    /// </summary>
    public async Task<SpoolSpace> GetSpaceAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var bytes = await ScalarAsync(connection, PostgresSchema.SelectSpace, cancellationToken).ConfigureAwait(false) is long total ? total : 0;
        return new SpoolSpace(bytes, 0, 0);
    }

    /// <summary>A no-op: autovacuum marks the space of removed mail for reuse by new mail, and returning it to the file system would take a VACUUM FULL (an exclusive lock).</summary>
    public Task ReclaimFreeSpaceAsync(int maxPages, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPages, 1);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Task.CompletedTask;
    }

    /// <summary>A connection of the store's pool, for diagnostics and tests (e.g. <c>EXPLAIN</c>).</summary>
    public async Task<NpgsqlConnection> OpenConnectionAsync(CancellationToken cancellationToken = default) =>
        await OpenAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>Stops taking mail, commits what is already queued, and closes the pool.</summary>
    public async ValueTask DisposeAsync()
    {
        await _lifecycle.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
                return;
            _disposed = true;
            if (_writer is not null)
                await _writer.DisposeAsync().ConfigureAwait(false);
            await _dataSource.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    private PostgresSpoolWriter Writer
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _writer ?? throw new InvalidOperationException("The spool is not initialized; call InitializeAsync first.");
        }
    }

    private ValueTask<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _dataSource.OpenConnectionAsync(cancellationToken);
    }

    /// <summary>A completion row read as (message_id, shard, completed_at, undelivered).</summary>
    private static CompletedMessage ReadCompletion(NpgsqlDataReader reader) =>
        new(reader.GetString(0), reader.GetInt32(1), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)), reader.GetInt32(3));

    /// <summary>A command with positional parameters ($1, $2, …); a null is sent as an untyped NULL the server types from context.</summary>
    internal static NpgsqlCommand Command(NpgsqlConnection connection, string sql, params ReadOnlySpan<object?> values)
    {
        var command = new NpgsqlCommand(sql, connection);
        foreach (var value in values)
            command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        return command;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return value is DBNull ? null : value;
    }
}
