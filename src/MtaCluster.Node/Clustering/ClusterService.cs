using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MtaCluster.Cluster;
using MtaCluster.Cluster.Wakeups;
using MtaCluster.Delivery.Domains;
using MtaCluster.Delivery.Lifecycle;
using MtaCluster.Storage;

namespace MtaCluster.Node.Clustering;

/// <summary>
/// Runs this node's part in the cluster: membership and shard leases (<see cref="ClusterMember"/>),
/// and what the delivery engine does when they change. A shard taken is recovered from the store (its
/// domains with pending work are scheduled, its complete messages swept); a shard handed off is
/// stopped entity by entity, in-flight transactions finishing and committing, before its lease is
/// released; a shard lost is stopped at once (its late writes are refused by the store's fencing).
/// Wake-ups from other nodes arrive through the store's <c>LISTEN</c>.
/// </summary>
/// <remarks>
/// Registered after the delivery service and before the SMTP server: on SIGTERM the listeners close
/// first, then this service leaves the cluster (every shard handed off, so the other nodes carry on
/// with no duplicate and nothing lost), and only then does delivery stop.
/// </remarks>
public sealed partial class ClusterService : IHostedLifecycleService, IAsyncDisposable
{
    private readonly ClusterMember _member;
    private readonly DeliveryEngine _engine;
    private readonly ClusterOptions _options;
    private readonly PostgresWakeListener _listener;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _lock = new();
    // Each shard's changes run in order, one after another; different shards' run side by side.
    private readonly Dictionary<int, Task> _shardTails = [];
    private readonly HashSet<int> _toRecover = [];
    private Task _recovery = Task.CompletedTask;
    private bool _recoveryQueued;
    private Task _dueScan = Task.CompletedTask;
    private int _sweepQueued;
    private int _disposed;
    private int _listens;
    private static readonly IReadOnlyDictionary<long, DateTimeOffset> NoKnownRetryTimes = new Dictionary<long, DateTimeOffset>();
    private readonly TimeSpan _leaveTimeout;

    public ClusterService(ClusterMember member, DeliveryEngine engine, ClusterOptions options, PostgresWakeListenerOptions listenerOptions,
        ILoggerFactory loggerFactory, IHostApplicationLifetime? lifetime = null)
    {
        // Long enough for a hand-off's transactions on the wire to finish (their grace on stop) after the
        // coordinator moved the shard; the host's bound for stopping has this added (NodeHost).
        _leaveTimeout = LeaveTimeout(options);
        _member = member;
        _engine = engine;
        _options = options;
        _logger = loggerFactory.CreateLogger<ClusterService>();
        _listener = new PostgresWakeListener(listenerOptions, OnWake, loggerFactory.CreateLogger<PostgresWakeListener>());
        // Wake-ups sent while the listener was away are gone: after each reconnection, look in the store at once.
        _listener.Listening += OnListening;
        _member.ShardAcquired += (shard, epoch) => Enqueue(shard, () => OnAcquiredAsync(shard, epoch));
        _member.HandOffRequested += shard => Enqueue(shard, () => OnHandOffAsync(shard));
        _member.ShardLost += shard => Enqueue(shard, () => OnLostAsync(shard));
        // `pbm cluster leave` through any node: this node stops as on SIGTERM, and stopping leaves (StopAsync).
        _member.LeaveRequested += () =>
        {
            LogLeaveRequested(_member.NodeName);
            lifetime?.StopApplication();
        };
    }

    /// <summary>How long leaving may take: the coordinator's rounds, then every hand-off.</summary>
    public static TimeSpan LeaveTimeout(ClusterOptions options) => options.HandOffTimeout + options.FailureTimeout;

    /// <summary>Whether this node holds the lease of <paramref name="shard"/> now.</summary>
    public bool OwnsShard(int shard) => _member.TryGetEpoch(shard, out _);

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Before the first lease: the sweeper must ask the live view, not a snapshot.
        _engine.EnsureSweeper(OwnsShard, () => _member.HeldShards());
        _listener.Start();
        await _member.StartAsync(cancellationToken).ConfigureAwait(false);
        LogJoining(_member.NodeName);
    }

    public Task StartedAsync(CancellationToken cancellationToken)
    {
        _dueScan = Task.Run(() => DueScanLoopAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Here rather than in StoppingAsync, which the host runs for every service before any stops:
        // the listeners (registered after this service) have closed by now, and delivery (before it)
        // still runs, as the hand-offs need it.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            var clean = await _member.LeaveAsync(_leaveTimeout, CancellationToken.None).ConfigureAwait(false);
            await DrainShardChangesAsync().ConfigureAwait(false);
            if (clean) LogLeft(_member.NodeName, clock.Elapsed.TotalMilliseconds);
            else LogLeftUnclean(_member.NodeName);
        }
        catch (Exception ex)
        {
            // The database went away while leaving: stop believing in every lease (they lapse), so the
            // node acts on none of them while delivery stops.
            LogLeaveFailed(ex);
            await _member.DisposeAsync().ConfigureAwait(false);
            await DrainShardChangesAsync().ConfigureAwait(false);
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _dueScan.ConfigureAwait(false);
        await _recovery.ConfigureAwait(false);
    }

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        // Registered as itself and as a hosted service, so the container disposes it twice.
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _listener.DisposeAsync().ConfigureAwait(false);
        await _member.DisposeAsync().ConfigureAwait(false);
        await DrainShardChangesAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    private void Enqueue(int shard, Func<Task> change)
    {
        lock (_lock)
        {
            var tail = _shardTails.TryGetValue(shard, out var previous) ? previous : Task.CompletedTask;
            _shardTails[shard] = tail.ContinueWith(_ => RunChangeAsync(shard, change), CancellationToken.None,
                TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
        }
    }

    private async Task RunChangeAsync(int shard, Func<Task> change)
    {
        try
        {
            await change().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogShardChangeFailed(ex, shard);
        }
    }

    private async Task DrainShardChangesAsync()
    {
        Task[] tails;
        lock (_lock) tails = [.. _shardTails.Values];
        await Task.WhenAll(tails).ConfigureAwait(false);
    }

    private Task OnAcquiredAsync(int shard, long epoch)
    {
        LogAcquired(shard, epoch);
        _engine.ShardHome(shard);
        lock (_lock)
        {
            _toRecover.Add(shard);
            if (!_recoveryQueued)
            {
                _recoveryQueued = true;
                // Leases arrive many per round: one walk of the spool's domains recovers them all.
                _recovery = Task.Run(RecoverAcquiredAsync);
            }
        }
        return Task.CompletedTask;
    }

    private async Task RecoverAcquiredAsync()
    {
        await Task.Delay(50, CancellationToken.None).ConfigureAwait(false);
        HashSet<int> shards;
        lock (_lock)
        {
            shards = [.. _toRecover];
            _toRecover.Clear();
            _recoveryQueued = false;
        }
        try
        {
            var domains = await _engine.RecoverAsync(shard => shards.Contains(shard) && OwnsShard(shard), _stopping.Token).ConfigureAwait(false);
            _engine.SweepNow();
            LogRecovered(shards.Count, domains);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // The due scan comes round to them.
            LogRecoveryFailed(ex, shards.Count);
        }
    }

    private async Task OnHandOffAsync(int shard)
    {
        await StopShardAsync(shard, "handed off").ConfigureAwait(false);
        await _member.ReleaseAsync(shard, CancellationToken.None).ConfigureAwait(false);
        // What waited for the shard goes to its new owner now (as wake-ups through the store).
        _engine.ShardHome(shard);
    }

    private async Task OnLostAsync(int shard)
    {
        LogLost(shard);
        await StopShardAsync(shard, "lost").ConfigureAwait(false);
        _engine.ShardHome(shard);
    }

    private async Task StopShardAsync(int shard, string why)
    {
        try
        {
            await _engine.HandOffShardAsync(shard, _options.HandOffTimeout, CancellationToken.None).ConfigureAwait(false);
            LogStopped(shard, why);
        }
        catch (Exception ex) when (ex is TimeoutException or Actors.AskTimeoutException)
        {
            LogStopTimedOut(shard, _options.HandOffTimeout);
        }
    }

    private void OnWake(WakeNotification wake)
    {
        if (!OwnsShard(wake.Shard)) return;
        if (wake.EntityType == WakeNotification.DomainType)
        {
            _engine.OnNewWork([wake.EntityId]);
        }
        else if (WakeNotification.DomainControlIndex(wake.EntityType) is >= 0 and var change)
        {
            _engine.OnControlChanged(wake.EntityId, (DomainControlChange)change);
        }
        else if (wake.EntityType == WakeNotification.MessageType)
        {
            // A message wake-up is a completion to finish or delayed recipients to tell the sender of
            // (another node's outcome, or one held back during a hand-off). The entity reads which from
            // the store; a delay notice is queued only if one is due and none went out.
            _engine.Messages?.Tell(new RecipientsDelayed(wake.EntityId, NoKnownRetryTimes));
            if (Interlocked.Exchange(ref _sweepQueued, 1) != 0) return;
            // Completions come in floods: one sweep (a page of them) per short pause, not one per message.
            _ = Task.Run(async () =>
            {
                await Task.Delay(50, CancellationToken.None).ConfigureAwait(false);
                Volatile.Write(ref _sweepQueued, 0);
                _engine.SweepNow();
            });
        }
    }

    private void OnListening()
    {
        if (Interlocked.Increment(ref _listens) == 1) return;
        _ = Task.Run(async () =>
        {
            try
            {
                await _engine.RecoverAsync(OwnsShard, _stopping.Token).ConfigureAwait(false);
                _engine.SweepNow();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogDueScanFailed(ex);
            }
            catch (OperationCanceledException)
            {
            }
        });
    }

    private async Task DueScanLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.DueScanInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await _engine.RecoverAsync(OwnsShard, cancellationToken).ConfigureAwait(false);
                    _engine.SweepNow();
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogDueScanFailed(ex);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "node {Node} asked to leave the cluster (pbm cluster leave): stopping, as on SIGTERM")]
    private partial void LogLeaveRequested(string node);

    [LoggerMessage(Level = LogLevel.Information, Message = "node {Node} joining the cluster")]
    private partial void LogJoining(string node);

    [LoggerMessage(Level = LogLevel.Information, Message = "node {Node} left the cluster: every shard handed off ({Elapsed:F0} ms)")]
    private partial void LogLeft(string node, double elapsed);

    [LoggerMessage(Level = LogLevel.Error, Message = "leaving the cluster failed; this node's leases lapse and the others take its shards after the failure timeout")]
    private partial void LogLeaveFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "node {Node} left the cluster without handing off every shard; the rest lapse and are taken over after the failure timeout")]
    private partial void LogLeftUnclean(string node);

    [LoggerMessage(Level = LogLevel.Debug, Message = "shard {Shard} acquired (epoch {Epoch})")]
    private partial void LogAcquired(int shard, long epoch);

    [LoggerMessage(Level = LogLevel.Information, Message = "recovered {Shards} newly owned shards: {Domains} domains have queued mail")]
    private partial void LogRecovered(int shards, int domains);

    [LoggerMessage(Level = LogLevel.Warning, Message = "recovery of {Shards} newly owned shards failed; the due scan retries")]
    private partial void LogRecoveryFailed(Exception exception, int shards);

    [LoggerMessage(Level = LogLevel.Warning, Message = "shard {Shard} lost: its entities are stopped at once")]
    private partial void LogLost(int shard);

    [LoggerMessage(Level = LogLevel.Debug, Message = "shard {Shard} {Why}: its entities have stopped")]
    private partial void LogStopped(int shard, string why);

    [LoggerMessage(Level = LogLevel.Warning, Message = "shard {Shard}: its entities did not stop within {Timeout}; releasing it anyway (a transaction on the wire may be delivered twice)")]
    private partial void LogStopTimedOut(int shard, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Error, Message = "handling a change of shard {Shard} failed")]
    private partial void LogShardChangeFailed(Exception exception, int shard);

    [LoggerMessage(Level = LogLevel.Warning, Message = "due scan of the owned shards failed; the next one tries again")]
    private partial void LogDueScanFailed(Exception exception);
}
