using System.Diagnostics;
using Microsoft.Extensions.Logging;
using MtaCluster.Cluster.Membership;
using Npgsql;

namespace MtaCluster.Cluster;

public sealed partial class ClusterMember
{
    private readonly List<int> _heldShards = [];
    private readonly List<long> _heldEpochs = [];
    private readonly List<int> _expired = [];
    private readonly HashSet<(int Shard, long Epoch)> _handOffsRequested = [];

    private async Task HeartbeatLoopAsync()
    {
        var stop = _stop.Token;
        using var timer = new PeriodicTimer(_options.HeartbeatInterval);
        try
        {
            do
            {
                await _pause.WaitIfPausedAsync(stop);
                try
                {
                    await RoundAsync(stop);
                }
                catch (Exception exception) when (!stop.IsCancellationRequested)
                {
                    // The store is away or busy (restart, failover, deadlock victim): the next beat tries
                    // again with a fresh connection; the watchdog drops leases that lapse meanwhile.
                    _logger.LogWarning(exception, "Cluster heartbeat of {Node} failed", NodeName);
                }
            }
            while (await timer.WaitForNextTickAsync(stop));
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    // Separate from the heartbeat so a heartbeat stuck on a dead connection cannot keep a lease believed.
    private async Task WatchdogLoopAsync()
    {
        var stop = _stop.Token;
        using var timer = new PeriodicTimer(_options.HeartbeatInterval / 2);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                await _pause.WaitIfPausedAsync(stop);
                DropExpired();
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private void DropExpired()
    {
        lock (_expired)
        {
            _expired.Clear();
            _view.DropExpired(_expired);
            foreach (int shard in _expired)
            {
                _logger.LogWarning("Lease on shard {Shard} lapsed before {Node} could renew it; its entities stop", shard, NodeName);
                _events.Post(new ClusterEvent(ClusterEventKind.ShardLost, shard, 0));
            }
        }
    }

    private async Task RoundAsync(CancellationToken stop)
    {
        DropExpired();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
        timeout.CancelAfter(_options.RoundTimeout);
        var cancellationToken = timeout.Token;
        await _membershipLock.WaitAsync(cancellationToken);
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            await HeartbeatAsync(connection, cancellationToken);
            if (!_leaving && State is MemberState.Up or MemberState.Joining)
            {
                var round = await _coordinator.RunAsync(connection, Stopwatch.GetTimestamp(), cancellationToken);
                if (round is not null) _events.Post(new ClusterEvent(ClusterEventKind.CoordinatorRound, -1, 0, round));
            }
        }
        finally
        {
            _membershipLock.Release();
        }
    }

    private async Task HeartbeatAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        // Taken before the transaction begins, so before its now(): the database's expiry of every lease
        // renewed below is at least this + the lease, and the belief ends a fifth of a lease earlier.
        long startedAt = Stopwatch.GetTimestamp();
        _heldShards.Clear();
        _heldEpochs.Clear();
        _view.Snapshot(_heldShards, _heldEpochs);

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await RoundLocks.LimitWaitAsync(connection, transaction, _options.LockTimeout, cancellationToken);
        var (state, leaveRequested) = await BeatAsync(connection, transaction, cancellationToken);
        if (state is null || (!_leaving && state is MemberStates.Down or MemberStates.Removed))
        {
            // Failed out while alive (paused, partitioned, or the row was lost): peers may own these shards
            // already, so nothing of the old incarnation is kept (Quartz's clustered job store misses this).
            DropAll(state is null ? "this node's row was gone" : "the coordinator marked this node " + state);
            _heldShards.Clear();
            _heldEpochs.Clear();
            await RegisterAsync(connection, transaction, cancellationToken);
            state = MemberStates.Joining;
            leaveRequested = false;
        }
        else if (state == MemberStates.Down)
        {
            DropAll("this node was marked down while leaving");
            _heldShards.Clear();
            _heldEpochs.Clear();
        }

        var renewed = await RenewAsync(connection, transaction, cancellationToken);
        var acquired = state == MemberStates.Up && !_leaving
            ? await AcquireAsync(connection, transaction, cancellationToken)
            : [];
        await transaction.CommitAsync(cancellationToken);

        long believedUntil = startedAt + _beliefTicks;
        var kept = new HashSet<int>();
        foreach (var (shard, epoch, handOff) in renewed)
        {
            if (!_view.Renew(shard, epoch, believedUntil)) continue;
            kept.Add(shard);
            if ((handOff || _handOffAll) && _handOffsRequested.Add((shard, epoch)))
            {
                _events.Post(new ClusterEvent(ClusterEventKind.HandOffRequested, shard, epoch));
            }
        }

        for (int i = 0; i < _heldShards.Count; i++)
        {
            if (kept.Contains(_heldShards[i])) continue;
            if (_view.Remove(_heldShards[i], _heldEpochs[i]))
            {
                _logger.LogWarning("Lease on shard {Shard} (epoch {Epoch}) was taken over; its entities stop", _heldShards[i], _heldEpochs[i]);
                _events.Post(new ClusterEvent(ClusterEventKind.ShardLost, _heldShards[i], _heldEpochs[i]));
            }
        }

        foreach (var (shard, epoch) in acquired)
        {
            _view.Add(shard, epoch, believedUntil);
            _events.Post(new ClusterEvent(ClusterEventKind.ShardAcquired, shard, epoch));
        }

        _handOffsRequested.RemoveWhere(request => !_view.TryGetEpoch(request.Shard, out long held) || held != request.Epoch);
        Volatile.Write(ref _state, (int)MemberStates.Parse(state));
        // Raised once: the host's stop (which leaves) is under way after the first.
        if (leaveRequested && !_leaving && Interlocked.Exchange(ref _leaveRaised, 1) == 0)
        {
            _logger.LogInformation("Cluster member {Node}: an operator asked it to leave the cluster", NodeName);
            _events.Post(new ClusterEvent(ClusterEventKind.LeaveRequested, -1, 0));
        }
    }

    // The heartbeat also publishes what the admin API of any node shows of this one, and reads back
    // whether an operator asked this node to leave (a request written through another node).
    private async Task<(string? State, bool LeaveRequested)> BeatAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            UPDATE nodes SET heartbeat_at = now(), admin_address = coalesce($2, admin_address), entities = $3
            WHERE name = $1 RETURNING state, leave_requested_at IS NOT NULL AS leave_requested
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = NodeName });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)AdminAddress ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)Entities ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return (null, false);
        return (reader.GetString(0), reader.GetBoolean(1));
    }

    // Renews only what this node still believes it holds, with the epoch it took: a lease whose epoch
    // moved is not renewed (the row is another node's now) and is reported lost below. Rows are locked in
    // shard order, as the coordinator locks them, so the two do not deadlock (and stall past a lease).
    private async Task<List<(int Shard, long Epoch, bool HandOff)>> RenewAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        CancellationToken cancellationToken)
    {
        var renewed = new List<(int, long, bool)>(_heldShards.Count);
        if (_heldShards.Count == 0) return renewed;
        await using var command = new NpgsqlCommand("""
            WITH mine AS (
                SELECT l.shard FROM shard_leases AS l
                JOIN unnest($3::integer[], $4::bigint[]) AS h(shard, epoch) ON l.shard = h.shard
                WHERE l.epoch = h.epoch AND l.owner = $1 AND l.expires_at > now()
                ORDER BY l.shard
                FOR NO KEY UPDATE OF l)
            UPDATE shard_leases AS l SET expires_at = now() + $2
            FROM mine WHERE l.shard = mine.shard
            RETURNING l.shard, l.epoch, l.allocated_to IS DISTINCT FROM $1 AS hand_off
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = NodeName });
        command.Parameters.Add(new NpgsqlParameter { Value = _options.FailureTimeout });
        command.Parameters.Add(new NpgsqlParameter { Value = _heldShards.ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = _heldEpochs.ToArray() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        int shardOrdinal = reader.GetOrdinal("shard");
        int epochOrdinal = reader.GetOrdinal("epoch");
        int handOffOrdinal = reader.GetOrdinal("hand_off");
        while (await reader.ReadAsync(cancellationToken))
        {
            renewed.Add((reader.GetInt32(shardOrdinal), reader.GetInt64(epochOrdinal), reader.GetBoolean(handOffOrdinal)));
        }

        return renewed;
    }

    // A shard allocated here is taken only when nobody holds it: released, never held, or lapsed by the
    // database's clock. A live holder hands it off first; taking it bumps the epoch, fencing the old one.
    // A row still locked by the old holder's fenced write (FOR KEY SHARE, which the epoch bump must wait
    // for) is skipped until a later beat: waiting for it here would hold this node's own renewals, in the
    // same transaction, behind a write that never ends while its node is frozen.
    private async Task<List<(int Shard, long Epoch)>> AcquireAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        CancellationToken cancellationToken)
    {
        var acquired = new List<(int, long)>();
        await using var command = new NpgsqlCommand("""
            WITH free AS (
                SELECT shard FROM shard_leases
                WHERE allocated_to = $1 AND shard < $3 AND (owner IS NULL OR expires_at IS NULL OR expires_at <= now())
                ORDER BY shard
                FOR UPDATE SKIP LOCKED)
            UPDATE shard_leases AS l SET owner = $1, epoch = l.epoch + 1, expires_at = now() + $2
            FROM free WHERE l.shard = free.shard
            RETURNING l.shard, l.epoch
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = NodeName });
        command.Parameters.Add(new NpgsqlParameter { Value = _options.FailureTimeout });
        command.Parameters.Add(new NpgsqlParameter { Value = _options.MaxShards });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        int shardOrdinal = reader.GetOrdinal("shard");
        int epochOrdinal = reader.GetOrdinal("epoch");
        while (await reader.ReadAsync(cancellationToken))
        {
            acquired.Add((reader.GetInt32(shardOrdinal), reader.GetInt64(epochOrdinal)));
        }

        return acquired;
    }
}
