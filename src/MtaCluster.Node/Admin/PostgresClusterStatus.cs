using Npgsql;

namespace MtaCluster.Node.Admin;

/// <summary>
/// Reads the members from the cluster's tables: a node silent past the failure timeout shows as
/// unreachable (as scripts/cluster.sh shows it), and its shards are the leases it holds that have
/// not expired. One read of nodes and one pass over shard_leases (a row per shard, a fixed size).
/// </summary>
public sealed class PostgresClusterStatus(string connectionString, TimeSpan failureTimeout) : IClusterStatusSource, IAsyncDisposable
{
    private const string SelectMembers = """
        SELECT n.name,
               CASE WHEN n.state IN ('joining', 'up', 'leaving') AND n.heartbeat_at < now() - $1 THEN 'unreachable' ELSE n.state END AS state,
               n.joined_at, coalesce(n.advertised, '') AS advertised,
               (SELECT count(*) FROM shard_leases l WHERE l.owner = n.name AND l.expires_at > now()) AS shards
        FROM nodes n WHERE n.state <> 'removed' ORDER BY n.joined_at, n.name
        """;

    private readonly NpgsqlDataSource _dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = 2 }.ConnectionString);

    public async Task<IReadOnlyList<ClusterNodeView>> GetMembersAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(SelectMembers, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = failureTimeout });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var members = new List<ClusterNodeView>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            members.Add(new ClusterNodeView(
                reader.GetString(reader.GetOrdinal("name")),
                reader.GetString(reader.GetOrdinal("advertised")),
                reader.GetString(reader.GetOrdinal("state")),
                checked((int)reader.GetInt64(reader.GetOrdinal("shards"))),
                Entities: null,
                new DateTimeOffset(reader.GetDateTime(reader.GetOrdinal("joined_at")), TimeSpan.Zero),
                Self: false));
        }
        return members;
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
