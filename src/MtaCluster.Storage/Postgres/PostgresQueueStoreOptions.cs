namespace MtaCluster.Storage.Postgres;

/// <summary>Settings of <see cref="PostgresQueueStore"/>.</summary>
public sealed class PostgresQueueStoreOptions
{
    /// <summary>An Npgsql connection string; the store adds <c>synchronous_commit=on</c> to its sessions' options.</summary>
    public required string ConnectionString { get; init; }

    /// <summary>
    /// The most messages the writer puts in one transaction. Past a few dozen messages per commit the
    /// WAL flush is amortised; a bigger batch only makes its first caller wait longer.
    /// </summary>
    public int MaxBatchSize { get; init; } = 256;

    /// <summary>
    /// The most body octets one transaction gathers before it commits (a message larger than this still
    /// goes alone): a burst of 35 MB messages must not hold small ones behind a gigabyte of COPY.
    /// </summary>
    public long MaxBatchBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Messages that may wait for the writer before callers are held back (backpressure on the SMTP server).</summary>
    public int QueueCapacity { get; init; } = 8192;

    /// <summary>How long one statement may run (a lock wait, a stalled server) before the write fails.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The server ends a session of this store that sits inside a transaction, sending nothing, this long
    /// (<c>idle_in_transaction_session_timeout</c>). None of the store's transactions waits on anything but
    /// the database between statements, so only a node that stopped running (SIGSTOP, a VM paused, a
    /// swap storm) gets there; without it, the lease rows its fenced write locked would keep the node
    /// that takes its shards over waiting for as long as it stays frozen. Keep it below the cluster's
    /// failure timeout.
    /// </summary>
    public TimeSpan IdleInTransactionTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Octets a body stream fetches per round trip (at least; a larger read fetches what it asks for).</summary>
    public int BodyReadChunkBytes { get; init; } = 256 * 1024;

    /// <summary>As <see cref="Sqlite.SqliteQueueStoreOptions.RemoveDeliveredOnCompletion"/>: a message whose every recipient was delivered is deleted by the transaction that records its last outcome.</summary>
    public bool RemoveDeliveredOnCompletion { get; init; }

    /// <summary>The leases this node holds; with it, every owner write is refused unless its shards' leases still name this node and epoch. Null: no fencing (a single node).</summary>
    public IShardFencing? Fencing { get; init; }

    /// <summary>
    /// Whether the store tells shard owners of new work through <c>NOTIFY</c> on
    /// <see cref="WakeNotification.Channel"/>, in the transaction that stored it: a stored message wakes
    /// the domain entity of each of its (shard, domain), a completed message its message entity.
    /// </summary>
    public bool Notify { get; init; }

    /// <summary>The default, or half of <paramref name="failureTimeout"/> when that is shorter.</summary>
    public static TimeSpan IdleInTransactionTimeoutWithin(TimeSpan failureTimeout)
    {
        var half = failureTimeout / 2;
        return half < TimeSpan.FromSeconds(5) ? half : TimeSpan.FromSeconds(5);
    }

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(ConnectionString);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBatchBytes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(QueueCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(CommandTimeout, TimeSpan.FromSeconds(1));
        ArgumentOutOfRangeException.ThrowIfLessThan(BodyReadChunkBytes, 1024);
        ArgumentOutOfRangeException.ThrowIfLessThan(IdleInTransactionTimeout, TimeSpan.FromMilliseconds(100));
    }
}
