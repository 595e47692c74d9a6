using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MtaCluster.Cluster.Coordination;
using MtaCluster.Cluster.Leases;
using MtaCluster.Cluster.Membership;
using Npgsql;

namespace MtaCluster.Cluster;

/// <summary>
/// This node's membership of the cluster, with PostgreSQL as the arbiter: a heartbeat into <c>nodes</c>
/// that renews, in the same transaction, every shard lease the node holds, and takes the shards the
/// coordinator allocated to it once they are free or expired (bumping their epoch, the fencing token).
/// The oldest up member also runs the coordinator's round. Every expiry is decided by the database's
/// clock; the node's own monotonic clock only ever shortens its belief in a lease.
/// Events are raised in order on a task of their own: <see cref="ShardLost"/> means stop that shard's
/// entities at once; <see cref="HandOffRequested"/> means stop them and then call <see cref="ReleaseAsync"/>.
/// </summary>
public sealed partial class ClusterMember : IAsyncDisposable
{
    private readonly ClusterMemberOptions _options;
    private readonly NpgsqlDataSource _dataSource;
    private readonly ILogger _logger;
    private readonly LeaseView _view;
    private readonly CoordinatorRound _coordinator;
    private readonly ClusterEventDispatcher _events;
    private readonly PauseGate _pause = new(loops: 2);
    private readonly SemaphoreSlim _membershipLock = new(1, 1);
    private readonly SemaphoreSlim _releases = new(4, 4);
    private readonly Lock _releaseGate = new();
    private int _releasesInFlight;
    private TaskCompletionSource _releasesDone = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly long _beliefTicks;
    private Task _heartbeatLoop = Task.CompletedTask;
    private Task _watchdogLoop = Task.CompletedTask;
    private volatile bool _leaving;
    private volatile bool _handOffAll;
    private volatile bool _stopped;
    private int _state = (int)MemberState.Joining;
    private string? _adminAddress;
    private int _entities = -1;
    private int _leaveRaised;
    private int _disposed;

    public ClusterMember(ClusterMemberOptions options, ILogger<ClusterMember>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        int seconds = Math.Max(1, (int)Math.Ceiling(options.RoundTimeout.TotalSeconds));
        builder.Timeout = Math.Min(builder.Timeout, seconds);
        builder.CommandTimeout = Math.Min(builder.CommandTimeout, seconds);
        // A member frozen inside a heartbeat (SIGSTOP, a paused VM) would hold its node row and lease rows
        // locked for as long as it stays frozen, and the coordinator marking it down would wait as long:
        // the server ends such a session well before the lease lapses.
        string idle = $"-c idle_in_transaction_session_timeout={(long)options.IdleInTransactionTimeout.TotalMilliseconds}";
        builder.Options = string.IsNullOrWhiteSpace(builder.Options) ? idle : builder.Options + " " + idle;
        _dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        _view = new LeaseView(options.MaxShards);
        _coordinator = new CoordinatorRound(options);
        _events = new ClusterEventDispatcher(Raise, _logger);
        _beliefTicks = (long)(options.BeliefDuration.TotalSeconds * Stopwatch.Frequency);
        Ownership = new ClusterShardOwnership(_view);
        Fencing = new ClusterShardFencing(options.NodeName, _view);
    }

    /// <summary>A lease was taken: the shard is this node's, writes carry <c>epoch</c>.</summary>
    public event Action<int, long>? ShardAcquired;

    /// <summary>The lease is gone (taken over, lapsed, or this node was downed): stop the shard's entities at once.</summary>
    public event Action<int>? ShardLost;

    /// <summary>The coordinator moved the shard: stop its entities, then call <see cref="ReleaseAsync"/>.</summary>
    public event Action<int>? HandOffRequested;

    /// <summary>An operator asked (through any node) that this node leave: stop the node, which leaves gracefully.</summary>
    public event Action? LeaveRequested;

    /// <summary>Raised after each round this node ran as coordinator.</summary>
    public event Action<CoordinatorRoundResult>? CoordinatorRoundCompleted;

    public string NodeName => _options.NodeName;

    public ClusterMemberOptions Options => _options;

    /// <summary>The state the store last reported for this node.</summary>
    public MemberState State => (MemberState)Volatile.Read(ref _state);

    /// <summary>True while this node holds the coordinator lease (by its own, shortened, belief).</summary>
    public bool IsCoordinator => !_stopped && _coordinator.IsCoordinator;

    public int HeldShardCount => _view.Count;

    /// <summary>Where this node's admin endpoint listens, written with each heartbeat so any node can name it.</summary>
    public string? AdminAddress
    {
        get => Volatile.Read(ref _adminAddress);
        set => Volatile.Write(ref _adminAddress, value);
    }

    /// <summary>
    /// This node's running entities as last counted (null: not known), written with each heartbeat so
    /// any node's admin API shows every member's count without asking it.
    /// </summary>
    public int? Entities
    {
        get => Volatile.Read(ref _entities) is var n && n >= 0 ? n : null;
        set => Volatile.Write(ref _entities, value ?? -1);
    }

    /// <summary>The shards this node holds a lease on, for <see cref="IShardOwnership"/> in the shard regions.</summary>
    public ClusterShardOwnership Ownership { get; }

    /// <summary>The same leases as the spool's fenced writes need them.</summary>
    public ClusterShardFencing Fencing { get; }

    internal LeaseView View => _view;

    public bool TryGetEpoch(int shard, out long epoch) => _view.TryGetEpoch(shard, out epoch);

    public IReadOnlyList<int> HeldShards()
    {
        var shards = new List<int>();
        _view.Snapshot(shards, []);
        return shards;
    }

    /// <summary>Creates the schema if needed, registers this node as joining, and starts heartbeating.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        // A node may start while the database is still coming up or busy: each step is tried again for a while.
        var deadline = DateTime.UtcNow + Max(_options.FailureTimeout * 3, TimeSpan.FromSeconds(30));
        await WithRetriesAsync(bounded => ClusterSchema.EnsureAsync(_dataSource, _options.MaxShards, bounded), deadline, cancellationToken);
        await WithRetriesAsync(RegisterAsync, deadline, cancellationToken);
        _heartbeatLoop = Task.Run(HeartbeatLoopAsync, CancellationToken.None);
        _watchdogLoop = Task.Run(WatchdogLoopAsync, CancellationToken.None);
        _logger.LogInformation("Cluster member {Node} joining ({MaxShards} shards)", NodeName, _options.MaxShards);
    }

    /// <summary>
    /// Gives a shard up after its entities stopped: drops it from this node's view, then clears the lease's
    /// owner if its epoch is still this node's, so the new owner need not wait for it to lapse.
    /// </summary>
    public async Task<bool> ReleaseAsync(int shard, CancellationToken cancellationToken = default)
    {
        // Counted before the shard leaves the view: a leave that sees the view empty waits for this too.
        BeginRelease();
        try
        {
            return await ReleaseLeaseAsync(shard, cancellationToken);
        }
        finally
        {
            EndRelease();
        }
    }

    private async Task<bool> ReleaseLeaseAsync(int shard, CancellationToken cancellationToken)
    {
        long epoch = _view.Remove(shard);
        if (epoch == 0) return false;
        // A leave hands hundreds of shards off at once: a few connections release them in turn, rather
        // than a connection each, which crowded out the heartbeat's and the leave's own.
        await _releases.WaitAsync(cancellationToken);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.RoundTimeout);
            await using var connection = await _dataSource.OpenConnectionAsync(timeout.Token);
            await using var command = new NpgsqlCommand(
                "UPDATE shard_leases SET owner = NULL, expires_at = NULL WHERE shard = $1 AND owner = $2 AND epoch = $3", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = shard });
            command.Parameters.Add(new NpgsqlParameter { Value = NodeName });
            command.Parameters.Add(new NpgsqlParameter { Value = epoch });
            bool released = await command.ExecuteNonQueryAsync(timeout.Token) == 1;
            _logger.LogDebug("Released shard {Shard} (epoch {Epoch}): {Released}", shard, epoch, released);
            return released;
        }
        catch (Exception exception) when (IsStoreFailure(exception) && !cancellationToken.IsCancellationRequested)
        {
            // The lease lapses by itself; the new owner only waits a little longer.
            _logger.LogWarning(exception, "Could not release shard {Shard}; its lease will lapse", shard);
            return false;
        }
        finally
        {
            _releases.Release();
        }
    }

    private void BeginRelease()
    {
        lock (_releaseGate)
        {
            if (_releasesInFlight++ == 0) _releasesDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    private void EndRelease()
    {
        TaskCompletionSource? done = null;
        lock (_releaseGate)
        {
            if (--_releasesInFlight == 0) done = _releasesDone;
        }
        done?.TrySetResult();
    }

    /// <summary>Completes when no <see cref="ReleaseAsync"/> is under way.</summary>
    private Task WhenReleasesDone()
    {
        lock (_releaseGate) return _releasesInFlight == 0 ? Task.CompletedTask : _releasesDone.Task;
    }

    /// <summary>Test hook: freezes the heartbeat and the self-fencing watchdog (as SIGSTOP would), once both are parked.</summary>
    internal Task PauseAsync() => _pause.PauseAsync();

    internal void Resume() => _pause.Resume();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await StopLoopsAsync();
        DropAll("the member stopped");
        await _events.CompleteAsync();
        await _dataSource.DisposeAsync();
        _stop.Dispose();
        _membershipLock.Dispose();
    }

    private async Task StopLoopsAsync()
    {
        if (_stopped) return;
        _stopped = true;
        await _stop.CancelAsync();
        _pause.Resume();
        await Task.WhenAll(_heartbeatLoop, _watchdogLoop);
    }

    private async Task RegisterAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await RegisterAsync(connection, null, cancellationToken);
    }

    // A restarted node comes back as a new incarnation: joining, and youngest (it gives up seniority).
    private async Task RegisterAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            INSERT INTO nodes (name, state, joined_at, heartbeat_at, advertised, admin_address) VALUES ($1, 'joining', now(), now(), $2, $3)
            ON CONFLICT (name) DO UPDATE
            SET state = 'joining', joined_at = now(), heartbeat_at = now(), advertised = excluded.advertised,
                admin_address = excluded.admin_address, entities = NULL, leave_requested_at = NULL
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = NodeName });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)_options.Advertised ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)AdminAddress ?? DBNull.Value });
        await command.ExecuteNonQueryAsync(cancellationToken);
        Volatile.Write(ref _state, (int)MemberState.Joining);
    }

    private void Raise(ClusterEvent clusterEvent)
    {
        switch (clusterEvent.Kind)
        {
            case ClusterEventKind.ShardAcquired:
                ShardAcquired?.Invoke(clusterEvent.Shard, clusterEvent.Epoch);
                break;
            case ClusterEventKind.ShardLost:
                ShardLost?.Invoke(clusterEvent.Shard);
                break;
            case ClusterEventKind.HandOffRequested:
                HandOffRequested?.Invoke(clusterEvent.Shard);
                break;
            case ClusterEventKind.LeaveRequested:
                LeaveRequested?.Invoke();
                break;
            case ClusterEventKind.CoordinatorRound when clusterEvent.Round is { } round:
                CoordinatorRoundCompleted?.Invoke(round);
                break;
        }
    }

    private void DropAll(string why)
    {
        for (int shard = 0; shard < _view.MaxShards; shard++)
        {
            long epoch = _view.Remove(shard);
            if (epoch == 0) continue;
            _logger.LogWarning("Shard {Shard} (epoch {Epoch}) lost: {Why}", shard, epoch, why);
            _events.Post(new ClusterEvent(ClusterEventKind.ShardLost, shard, epoch));
        }
    }

    private static bool IsStoreFailure(Exception exception) =>
        exception is NpgsqlException or TimeoutException or OperationCanceledException or IOException
            or System.Net.Sockets.SocketException;
}
