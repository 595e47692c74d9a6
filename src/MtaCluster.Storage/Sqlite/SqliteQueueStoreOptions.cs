namespace MtaCluster.Storage.Sqlite;

/// <summary>Settings of <see cref="SqliteQueueStore"/>.</summary>
public sealed class SqliteQueueStoreOptions
{
    /// <summary>The spool's file name inside a node's data directory.</summary>
    public const string DefaultFileName = "spool.db";

    /// <summary>What the write-ahead log is cut back to after a checkpoint (64 MiB): many bursts' worth, so it is rarely regrown.</summary>
    public const long WriteAheadLogSizeLimit = 64L * 1024 * 1024;

    /// <summary>Path of the database file; created with its directory when missing.</summary>
    public required string DatabasePath { get; init; }

    /// <summary>
    /// The most writes the writer puts in one transaction. Measured here: past ~100 messages per
    /// commit the fsync is amortised and throughput stops growing, while a bigger batch only makes
    /// its first caller wait longer.
    /// </summary>
    public int MaxBatchSize { get; init; } = 256;

    /// <summary>
    /// Writes that may wait for the writer before callers are held back, so a slow disk pushes
    /// back on the SMTP server instead of growing memory.
    /// </summary>
    public int QueueCapacity { get; init; } = 8192;

    /// <summary>Durability of a commit; keep <see cref="SqliteSynchronous.Full"/> in production.</summary>
    public SqliteSynchronous Synchronous { get; init; } = SqliteSynchronous.Full;

    /// <summary>
    /// How long a connection waits for another one's lock (another process on the same file, a
    /// checkpoint) before failing. SQLite's busy handler waits this long; Microsoft.Data.Sqlite's own
    /// retry then adds up to the value rounded up to whole seconds.
    /// </summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How often the spool looks whether it is quiet enough to hand free pages back to the file system
    /// (<see cref="ReclaimIdleWrites"/>); zero turns that off, leaving free pages to be reused by new mail.
    /// </summary>
    public TimeSpan ReclaimInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// At most this many committed writes in one <see cref="ReclaimInterval"/> count as quiet. A busy
    /// spool reuses its free pages for the next mail; vacuuming them then only doubles their writes.
    /// </summary>
    public int ReclaimIdleWrites { get; init; } = 50;

    /// <summary>
    /// Pages one vacuum step moves (4 KiB each), in a transaction of its own: the most a write that
    /// arrives meanwhile waits for. Measured here (2 cores, busy): 4 pages ~2 ms (mostly the fsync),
    /// 32 ~2.3 ms, 128 ~11 ms a step.
    /// </summary>
    public int ReclaimStepPages { get; init; } = 32;

    /// <summary>
    /// The cluster's shard of a message id (the node passes its shard function). With it, completions
    /// are filed under the shard computed from the id rather than read from the message row, which on
    /// a file upgraded from schema version 3 sits behind the body. Without it, the stored shard.
    /// </summary>
    public Func<string, int>? ShardOfMessage { get; init; }

    /// <summary>
    /// True for a node that keeps no finished mail: a message whose every recipient was delivered,
    /// so that no report can be due, is deleted by the transaction that records its last outcome,
    /// with no completion record and no second write to finish it (it is returned as
    /// <see cref="CompletedMessage.Removed"/>). Messages with anything to report complete as usual.
    /// </summary>
    public bool RemoveDeliveredOnCompletion { get; init; }

    /// <summary>
    /// True for a host that calls <see cref="IDeferredStartupWork.StartDeferredWork"/> once it serves
    /// (the node, after its listeners are up): the upgrade work that reads every recipient row (the
    /// lane index of a file upgraded from schema version 4) waits for that call. False: it starts
    /// when the store opens.
    /// </summary>
    public bool DeferUpgradeWork { get; init; }

    /// <summary>Options for <c>spool.db</c> in <paramref name="dataDirectory"/>.</summary>
    public static SqliteQueueStoreOptions ForDataDirectory(string dataDirectory) =>
        new() { DatabasePath = Path.Combine(dataDirectory, DefaultFileName) };

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(DatabasePath);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(QueueCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(BusyTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(ReclaimInterval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegative(ReclaimIdleWrites);
        ArgumentOutOfRangeException.ThrowIfLessThan(ReclaimStepPages, 1);
    }
}
