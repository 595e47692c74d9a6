using Microsoft.Extensions.Logging;
using Npgsql;

namespace MtaCluster.Cluster;

public sealed partial class ClusterMember
{
    /// <summary>
    /// Leaves gracefully: marks this node leaving (it stops coordinating and taking shards), waits while
    /// the coordinator reallocates its shards and it hands each off (<see cref="HandOffRequested"/>, then
    /// <see cref="ReleaseAsync"/>), then marks it removed and stops heartbeating. True when every shard was
    /// handed off within <paramref name="timeout"/>; otherwise the rest are dropped (<see cref="ShardLost"/>)
    /// and left to lapse, so no other node takes them while this one might still act on them.
    /// </summary>
    public async Task<bool> LeaveAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        _leaving = true;
        var deadline = DateTime.UtcNow + timeout;
        await WithRetriesAsync(async bounded =>
        {
            await _membershipLock.WaitAsync(bounded);
            try
            {
                await using var connection = await _dataSource.OpenConnectionAsync(bounded);
                await using var command = new NpgsqlCommand(
                    "UPDATE nodes SET state = 'leaving' WHERE name = $1 AND state IN ('joining', 'up')", connection);
                command.Parameters.Add(new NpgsqlParameter { Value = NodeName });
                await command.ExecuteNonQueryAsync(bounded);
                await _coordinator.ReleaseAsync(connection, null, bounded);
                // The last node up has nobody to hand its shards to: it stops them all itself and releases
                // the leases, so a node that starts later takes them at once instead of after they lapse.
                if (!await AnyOtherMemberUpAsync(connection, bounded)) _handOffAll = true;
                Volatile.Write(ref _state, (int)MemberState.Leaving);
            }
            finally
            {
                _membershipLock.Release();
            }
        }, deadline, cancellationToken);

        _logger.LogInformation("Cluster member {Node} leaving with {Shards} shards to hand off", NodeName, _view.Count);
        bool clean = await WaitUntilNoShardsAsync(Max(deadline - DateTime.UtcNow, TimeSpan.Zero), cancellationToken);
        if (!clean) DropAll("the leave timed out before it was handed off");
        else clean = await WaitForReleasesAsync(Max(deadline - DateTime.UtcNow, TimeSpan.Zero), cancellationToken);

        await StopLoopsAsync();
        await WithRetriesAsync(async bounded =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(bounded);
            await using var command = new NpgsqlCommand("UPDATE nodes SET state = 'removed' WHERE name = $1", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = NodeName });
            await command.ExecuteNonQueryAsync(bounded);
        }, DateTime.UtcNow + _options.FailureTimeout, cancellationToken);

        Volatile.Write(ref _state, (int)MemberState.Removed);
        _logger.LogInformation("Cluster member {Node} removed ({Outcome})", NodeName, clean ? "all shards handed off" : "timed out");
        return clean;
    }

    // A leave must not fail on one slow statement (a busy server, a failover): each step is tried again,
    // each try bounded by a round's timeout, until the deadline.
    private async Task WithRetriesAsync(Func<CancellationToken, Task> step, DateTime deadline, CancellationToken cancellationToken)
    {
        while (true)
        {
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bounded.CancelAfter(_options.RoundTimeout);
            try
            {
                await step(bounded.Token);
                return;
            }
            catch (Exception exception) when (IsStoreFailure(exception) && !cancellationToken.IsCancellationRequested && DateTime.UtcNow < deadline)
            {
                _logger.LogWarning(exception, "Cluster member {Node}: a step of leaving failed; trying again", NodeName);
                await Task.Delay(_options.HeartbeatInterval, cancellationToken);
            }
        }
    }

    // A shard leaves the view before its lease is cleared: the node must not call itself removed (and
    // exit) while clearing a lease, or the next owner waits for it to lapse.
    private async Task<bool> WaitForReleasesAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await WhenReleasesDone().WaitAsync(timeout, cancellationToken);
            return true;
        }
        catch (TimeoutException)
        {
            _logger.LogWarning("Cluster member {Node}: its last leases were not cleared within the leave's time; they will lapse", NodeName);
            return false;
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private async Task<bool> WaitUntilNoShardsAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout);
        try
        {
            while (true)
            {
                var changed = _view.WhenChanged();
                if (_view.Count == 0) return true;
                try
                {
                    await changed.WaitAsync(_options.HeartbeatInterval, bounded.Token);
                }
                catch (TimeoutException)
                {
                    // Nodes leaving together: once no other one is up, each hands its own shards off.
                    if (!_handOffAll) await CheckLastMemberAsync(bounded.Token);
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return _view.Count == 0;
        }
    }

    private async Task CheckLastMemberAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            if (!await AnyOtherMemberUpAsync(connection, cancellationToken)) _handOffAll = true;
        }
        catch (Exception exception) when (IsStoreFailure(exception) && !cancellationToken.IsCancellationRequested)
        {
            _logger.LogDebug(exception, "Could not read the other members while leaving");
        }
    }

    private async Task<bool> AnyOtherMemberUpAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var others = new NpgsqlCommand(
            "SELECT count(*) FROM nodes WHERE name <> $1 AND state IN ('joining', 'up') AND heartbeat_at > now() - $2", connection);
        others.Parameters.Add(new NpgsqlParameter { Value = NodeName });
        others.Parameters.Add(new NpgsqlParameter { Value = _options.FailureTimeout });
        return await others.ExecuteScalarAsync(cancellationToken) is not long count || count > 0;
    }

    /// <summary>
    /// The other members alive now (joining, up or leaving, with a heartbeat within FailureTimeout), by
    /// name; none on a database no member has used yet. Asked before this node joins, by a start that
    /// must not change what the running members rely on (the placement of domains).
    /// </summary>
    public async Task<IReadOnlyList<string>> OtherLiveMembersAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using (var exists = new NpgsqlCommand("SELECT to_regclass('nodes') IS NOT NULL", connection))
        {
            if (await exists.ExecuteScalarAsync(cancellationToken) is not true) return [];
        }
        await using var others = new NpgsqlCommand(
            "SELECT name FROM nodes WHERE name <> $1 AND state IN ('joining', 'up', 'leaving') AND heartbeat_at > now() - $2 ORDER BY name", connection);
        others.Parameters.Add(new NpgsqlParameter { Value = NodeName });
        others.Parameters.Add(new NpgsqlParameter { Value = _options.FailureTimeout });
        var names = new List<string>();
        await using var reader = await others.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) names.Add(reader.GetString(0));
        return names;
    }
}
