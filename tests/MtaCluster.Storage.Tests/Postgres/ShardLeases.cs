using MtaCluster.Testing;

namespace MtaCluster.Storage.Tests.Postgres;

/// <summary>
/// The lease table of the cluster library, with its DDL exactly as that library creates it (the store
/// never creates it), and the writes another node's takeover makes to it.
/// </summary>
internal static class ShardLeases
{
    public const string Ddl =
        "CREATE TABLE IF NOT EXISTS shard_leases (shard integer PRIMARY KEY, owner text, epoch bigint NOT NULL DEFAULT 0, expires_at timestamptz);"
        + "CREATE UNIQUE INDEX IF NOT EXISTS ux_shard_leases_epoch ON shard_leases (shard, epoch)";

    public static Task CreateAsync(PostgresServer server, string database) => server.PsqlAsync(database, Ddl);

    /// <summary>Gives <paramref name="shard"/> to <paramref name="owner"/> at <paramref name="epoch"/>, as a lease grant does.</summary>
    public static Task GrantAsync(PostgresServer server, string database, int shard, string owner, long epoch) =>
        server.PsqlAsync(database,
            $"INSERT INTO shard_leases (shard, owner, epoch, expires_at) VALUES ({shard}, '{owner}', {epoch}, now() + interval '10 seconds') " +
            $"ON CONFLICT (shard) DO UPDATE SET owner = excluded.owner, epoch = excluded.epoch, expires_at = excluded.expires_at");

    /// <summary>Another node takes the shard over: a new owner and the epoch bumped.</summary>
    public static Task TakeOverAsync(PostgresServer server, string database, int shard, string newOwner) =>
        server.PsqlAsync(database, $"UPDATE shard_leases SET owner = '{newOwner}', epoch = epoch + 1, expires_at = now() + interval '10 seconds' WHERE shard = {shard}");
}

/// <summary>A node's view of the leases it holds, set by the test.</summary>
internal sealed class TestFencing(string nodeName) : IShardFencing
{
    private readonly Dictionary<int, long> _epochs = [];

    public string NodeName => nodeName;

    public TestFencing Hold(int shard, long epoch)
    {
        lock (_epochs) _epochs[shard] = epoch;
        return this;
    }

    public bool TryGetEpoch(int shard, out long epoch)
    {
        lock (_epochs) return _epochs.TryGetValue(shard, out epoch);
    }
}
