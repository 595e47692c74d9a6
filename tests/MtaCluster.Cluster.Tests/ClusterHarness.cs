using System.Collections.Concurrent;
using MtaCluster.Cluster.Coordination;
using MtaCluster.Cluster.Leases;
using MtaCluster.Testing;
using Npgsql;

namespace MtaCluster.Cluster.Tests;

/// <summary>
/// Several members of one cluster in this process, on one database. Each member hands a shard off the
/// way a node does (stop the shard's entities, here none, then release). Every lease change of every
/// member is recorded with its time, so a test can show no shard was ever believed held by two at once;
/// every database snapshot is checked for epochs that only grow.
/// </summary>
internal sealed class ClusterHarness : IAsyncDisposable
{
    public const int Shards = 64;

    private readonly List<ClusterMember> _members = [];
    private readonly List<(string Member, LeaseChange Change)> _history = [];
    private readonly Dictionary<int, long> _highestEpoch = [];

    private readonly string _checkConnectionString;

    private readonly TimeSpan _failureTimeout;

    private readonly bool _releaseOnHandOff;

    /// <param name="releaseOnHandOff">False plays a node whose entities never finish stopping: hand-offs are never released.</param>
    public ClusterHarness(string connectionString, TimeSpan? failureTimeout = null, bool releaseOnHandOff = true)
    {
        _releaseOnHandOff = releaseOnHandOff;
        ConnectionString = connectionString + ";Include Error Detail=true";
        _failureTimeout = failureTimeout ?? TimeSpan.FromSeconds(2);

        // The test's own checks must not trip over a pooled connection the server dropped when it restarted.
        _checkConnectionString = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString;
    }

    public string ConnectionString { get; }

    public IReadOnlyList<ClusterMember> Members => _members;

    public ConcurrentQueue<CoordinatorRoundResult> Rounds { get; } = new();

    public ConcurrentQueue<(string Member, int Shard)> Lost { get; } = new();

    public ConcurrentQueue<(string Member, int Shard, long Epoch)> Acquired { get; } = new();

    public ClusterMemberOptions Options(string name) => new()
    {
        ConnectionString = ConnectionString,
        NodeName = name,
        MaxShards = Shards,
        FailureTimeout = _failureTimeout,
        HeartbeatInterval = TimeSpan.FromMilliseconds(200),
        Advertised = $$"""{"relay_port":0,"name":"{{name}}"}""",
    };

    public async Task<ClusterMember> StartAsync(string name)
    {
        var member = new ClusterMember(Options(name));
        member.View.Changed = change =>
        {
            lock (_history) _history.Add((name, change));
        };
        if (_releaseOnHandOff) member.HandOffRequested += shard => _ = member.ReleaseAsync(shard);
        member.ShardLost += shard => Lost.Enqueue((name, shard));
        member.ShardAcquired += (shard, epoch) => Acquired.Enqueue((name, shard, epoch));
        member.CoordinatorRoundCompleted += round => Rounds.Enqueue(round);
        lock (_members) _members.Add(member);
        await member.StartAsync();
        return member;
    }

    /// <summary>Starts members one after another, each up before the next joins, so their seniority is their order.</summary>
    public async Task<List<ClusterMember>> StartInOrderAsync(params string[] names)
    {
        var started = new List<ClusterMember>();
        foreach (string name in names)
        {
            var member = await StartAsync(name);
            await Poll.UntilAsync(() => member.State == MemberState.Up, TimeSpan.FromSeconds(30), $"{name} up");
            started.Add(member);
        }

        return started;
    }

    /// <summary>
    /// True when each shard is held by exactly one of <paramref name="owners"/>, the database agrees (owner and
    /// epoch, unexpired) and the counts differ by at most one. Also checks, every time, that no two members
    /// hold a shard and that no epoch went back.
    /// </summary>
    public async Task<bool> SettledAsync(IReadOnlyList<ClusterMember> owners)
    {
        var rows = await SnapshotAsync();
        AssertNoShardHeldTwice();
        var counts = owners.ToDictionary(member => member.NodeName, _ => 0);
        foreach (var row in rows)
        {
            var holders = owners.Where(member => member.TryGetEpoch(row.Shard, out _)).ToList();
            if (holders.Count != 1) return false;
            holders[0].TryGetEpoch(row.Shard, out long epoch);
            if (row.Owner != holders[0].NodeName || row.Epoch != epoch || !row.Live || row.AllocatedTo != row.Owner) return false;
            counts[holders[0].NodeName]++;
        }

        return counts.Values.Max() - counts.Values.Min() <= 1;
    }

    public void AssertNoShardHeldTwice()
    {
        List<ClusterMember> members;
        lock (_members) members = [.. _members];
        for (int shard = 0; shard < Shards; shard++)
        {
            var holders = members.Where(member => member.TryGetEpoch(shard, out _)).Select(member => member.NodeName).ToList();
            Assert.True(holders.Count <= 1, $"shard {shard} held by {string.Join(", ", holders)} at once");
        }
    }

    /// <summary>From the recorded changes: for every shard, the intervals in which members believed they held it never overlap.</summary>
    public void AssertHistoryHasNoOverlap()
    {
        List<(string Member, LeaseChange Change)> history;
        lock (_history) history = [.. _history];
        foreach (var byShard in history.GroupBy(entry => entry.Change.Shard))
        {
            var intervals = new List<(string Member, long From, long To)>();
            var open = new Dictionary<string, long>();
            foreach (var (member, change) in byShard)
            {
                if (change.Held) open[member] = change.Timestamp;
                else if (open.Remove(member, out long from)) intervals.Add((member, from, change.Timestamp));
            }

            intervals.AddRange(open.Select(entry => (entry.Key, entry.Value, long.MaxValue)));
            intervals.Sort((a, b) => a.From.CompareTo(b.From));
            for (int i = 1; i < intervals.Count; i++)
            {
                Assert.True(intervals[i].From >= intervals[i - 1].To,
                    $"shard {byShard.Key} was held by {intervals[i - 1].Member} and {intervals[i].Member} at once");
            }
        }
    }

    public async Task<List<LeaseRow>> SnapshotAsync()
    {
        var rows = new List<LeaseRow>();
        await using var connection = new NpgsqlConnection(_checkConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT shard, owner, epoch, allocated_to, coalesce(expires_at > now(), false) AS live FROM shard_leases ORDER BY shard", connection);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(new LeaseRow(
                reader.GetInt32(reader.GetOrdinal("shard")),
                reader.IsDBNull(reader.GetOrdinal("owner")) ? null : reader.GetString(reader.GetOrdinal("owner")),
                reader.GetInt64(reader.GetOrdinal("epoch")),
                reader.IsDBNull(reader.GetOrdinal("allocated_to")) ? null : reader.GetString(reader.GetOrdinal("allocated_to")),
                reader.GetBoolean(reader.GetOrdinal("live"))));
        }

        foreach (var row in rows)
        {
            long highest = _highestEpoch.GetValueOrDefault(row.Shard);
            Assert.True(row.Epoch >= highest, $"shard {row.Shard}'s epoch went back from {highest} to {row.Epoch}");
            _highestEpoch[row.Shard] = row.Epoch;
        }

        return rows;
    }

    public async Task<string?> ScalarAsync(string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(_checkConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (object parameter in parameters) command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        return (await command.ExecuteScalarAsync())?.ToString();
    }

    public async Task<int> ExecuteAsync(string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(_checkConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (object parameter in parameters) command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        return await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        List<ClusterMember> members;
        lock (_members) members = [.. _members];
        foreach (var member in members) await member.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
    }

    internal sealed record LeaseRow(int Shard, string? Owner, long Epoch, string? AllocatedTo, bool Live);
}
