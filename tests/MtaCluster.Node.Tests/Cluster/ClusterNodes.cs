using System.Globalization;
using MtaCluster.Testing;

namespace MtaCluster.Node.Tests.Cluster;

/// <summary>
/// Real node processes sharing one PostgreSQL spool: each with its own name, data dir and relay port,
/// all routing every domain to one receiver. Small shard counts and short timeouts so a cluster
/// settles in seconds; the rules are the same as at the defaults.
/// </summary>
internal sealed class ClusterNodes : IAsyncDisposable
{
    public const int Shards = 64;
    public static readonly TimeSpan FailureTimeout = TimeSpan.FromSeconds(6);

    private readonly string _directory;
    private readonly string _connectionString;
    private readonly string _domainsFile;
    private readonly PostgresServer _server;
    private readonly string _database;
    private readonly Dictionary<string, NodeProcess> _running = [];

    public ClusterNodes(string directory, PostgresServer server, string connectionString, string domainsFile)
    {
        _directory = directory;
        _server = server;
        _connectionString = connectionString;
        _database = connectionString.Split(';').Single(p => p.StartsWith("Database=", StringComparison.Ordinal))["Database=".Length..];
        _domainsFile = domainsFile;
    }

    public Dictionary<string, int> Ports { get; } = [];

    /// <summary>The safety-net scan of owned shards; a test that shows wake-ups arrive sets it long.</summary>
    public TimeSpan DueScanInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A domain (<paramref name="prefix"/>N.example.org) whose shard <paramref name="owner"/> holds now (from the lease rows).</summary>
    public async Task<string> DomainOwnedByAsync(string owner, string prefix)
    {
        var shards = (await QueryAsync($"SELECT shard FROM shard_leases WHERE owner = '{owner}' AND expires_at > now()")).Trim()
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToHashSet();
        Assert.NotEmpty(shards);
        return Enumerable.Range(0, 10_000).Select(n => $"{prefix}{n}.example.org")
            .First(domain => shards.Contains(MtaCluster.Actors.Sharding.ShardHash.ShardOf(domain, Shards)));
    }

    public IReadOnlyDictionary<string, NodeProcess> Running => _running;

    public async Task<NodeProcess> StartAsync(string name, string extra = "")
    {
        if (!Ports.TryGetValue(name, out var port)) Ports[name] = port = FreePort.Next();
        var dataDir = Path.Combine(_directory, name);
        Directory.CreateDirectory(dataDir);
        var config = await NodeConfig.WriteRelayNodeAsync(Path.Combine(_directory, $"{name}.yaml"), dataDir, port, $"""
            Sharding:
              MaxShards: {Shards}
            Spool:
              Provider: PostgreSql
              ConnectionString: "{_connectionString};Application Name={name}"
            Cluster:
              FailureTimeout: {FailureTimeout:c}
              HeartbeatInterval: 00:00:00.500
              DueScanInterval: {DueScanInterval:c}
              HandOffTimeout: 00:00:25
            Delivery:
              DomainsFile: {_domainsFile}
              MaxConnections: 8
            {extra}
            """);
        var contents = File.ReadAllText(config).Replace("Node:\n", $"Node:\n  Name: {name}\n", StringComparison.Ordinal);
        await File.WriteAllTextAsync(config, contents);
        var node = NodeProcess.Start(_directory, ["--config", config]);
        _running[name] = node;
        await node.WaitForOutputAsync("SMTP listener relay", TimeSpan.FromSeconds(90));
        return node;
    }

    public void Forget(string name) => _running.Remove(name);

    /// <summary>What each node's sessions are doing (their application name is the node's): state, whether in a transaction, and lease or node row locks held or awaited.</summary>
    public Task<string> SessionsAsync() => QueryAsync("""
        SELECT a.application_name || ' ' || a.state || coalesce(' xact ' || round(extract(epoch FROM now() - a.xact_start)::numeric, 1) || 's', '')
            || coalesce(' waits on ' || a.wait_event_type || '/' || a.wait_event, '')
            || coalesce(' locks ' || (SELECT string_agg(DISTINCT c.relname || ':' || l.mode || CASE WHEN l.granted THEN '' ELSE '(waiting)' END, ',')
                FROM pg_locks AS l JOIN pg_class AS c ON c.oid = l.relation WHERE l.pid = a.pid AND c.relname IN ('shard_leases', 'nodes', 'cluster_coordinator')), '')
        FROM pg_stat_activity AS a
        WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() AND (a.state <> 'idle' OR a.xact_start IS NOT NULL)
        ORDER BY 1
        """);

    /// <summary>Runs SQL against the cluster's database (outside the nodes) and returns its rows, one per line.</summary>
    public Task<string> QueryAsync(string sql) => _server.PsqlAsync(_database, sql);

    /// <summary>Every shard has a live lease held by one of <paramref name="owners"/>, and they hold them evenly (max − min ≤ 1).</summary>
    public async Task<bool> SettledAsync(params string[] owners)
    {
        var rows = (await QueryAsync(
            "SELECT coalesce(owner, '-') || '|' || count(*) FROM shard_leases WHERE expires_at > now() OR owner IS NULL GROUP BY owner")).Trim();
        var counts = rows.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('|'))
            .ToDictionary(p => p[0], p => int.Parse(p[1], CultureInfo.InvariantCulture));
        if (counts.Keys.Any(owner => !owners.Contains(owner))) return false;
        if (counts.Values.Sum() != Shards || counts.Count != owners.Length) return false;
        return counts.Values.Max() - counts.Values.Min() <= 1;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _running.Values)
        {
            await node.DisposeAsync();
        }
        _running.Clear();
    }
}
