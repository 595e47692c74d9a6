using MtaCluster.Testing;
using Npgsql;

namespace MtaCluster.Cluster.Tests;

public sealed class ClusterSchemaTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private PostgresServer Server => postgres.Server;

    [Fact]
    public async Task Several_nodes_creating_the_schema_at_once_end_with_one_lease_row_per_shard()
    {
        string connectionString = await Server.CreateDatabaseAsync();
        await using var dataSource = NpgsqlDataSource.Create(connectionString);

        await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => ClusterSchema.EnsureAsync(dataSource, 256))));
        await ClusterSchema.EnsureAsync(dataSource, 256);

        var database = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        Assert.Equal("256|0|255|0", (await Server.PsqlAsync(database,
            "SELECT count(*), min(shard), max(shard), count(owner) FROM shard_leases")).Trim());
        Assert.Equal("1", (await Server.PsqlAsync(database, "SELECT count(*) FROM cluster_coordinator")).Trim());
    }

    [Fact]
    public async Task The_lease_table_starts_with_the_columns_the_fenced_spool_writes_read()
    {
        string connectionString = await Server.CreateDatabaseAsync();
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await ClusterSchema.EnsureAsync(dataSource, 8);

        var database = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        string columns = await Server.PsqlAsync(database, """
            SELECT string_agg(column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '-'), ', ' ORDER BY ordinal_position)
            FROM information_schema.columns WHERE table_name = 'shard_leases'
            """);
        Assert.Equal(
            "shard integer NO -, owner text YES -, epoch bigint NO 0, expires_at timestamp with time zone YES -, allocated_to text YES -",
            columns.Trim());
    }

    [Fact]
    public async Task The_schema_also_completes_a_lease_table_created_by_the_exact_shared_ddl()
    {
        string connectionString = await Server.CreateDatabaseAsync();
        var database = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        await Server.PsqlAsync(database,
            "CREATE TABLE IF NOT EXISTS shard_leases (shard integer PRIMARY KEY, owner text, epoch bigint NOT NULL DEFAULT 0, expires_at timestamptz)");
        await using var dataSource = NpgsqlDataSource.Create(connectionString);

        await ClusterSchema.EnsureAsync(dataSource, 16);

        Assert.Equal("16|0", (await Server.PsqlAsync(database, "SELECT count(*), count(allocated_to) FROM shard_leases")).Trim());
    }

    [Fact]
    public async Task The_schema_adds_the_published_status_columns_to_a_nodes_table_of_an_earlier_release()
    {
        string connectionString = await Server.CreateDatabaseAsync();
        var database = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await ClusterSchema.EnsureAsync(dataSource, 16);
        // The nodes table as releases before the admin API's cluster view made it (every other table complete).
        await Server.PsqlAsync(database, "ALTER TABLE nodes DROP COLUMN admin_address, DROP COLUMN entities, DROP COLUMN leave_requested_at");

        await ClusterSchema.EnsureAsync(dataSource, 16);

        Assert.Equal("admin_address,entities,leave_requested_at", (await Server.PsqlAsync(database, """
            SELECT string_agg(column_name, ',' ORDER BY column_name) FROM information_schema.columns
            WHERE table_name = 'nodes' AND column_name IN ('admin_address', 'entities', 'leave_requested_at')
            """)).Trim());
    }

    [Fact]
    public async Task A_node_joining_a_running_cluster_creates_nothing_and_waits_for_no_lock_the_members_hold()
    {
        string connectionString = await Server.CreateDatabaseAsync();
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await ClusterSchema.EnsureAsync(dataSource, 16);

        // What a member's heartbeat holds mid-transaction: row locks on its node row and its leases.
        await using var member = await dataSource.OpenConnectionAsync();
        await using var heartbeat = await member.BeginTransactionAsync();
        await using (var locks = new NpgsqlCommand(
            "UPDATE shard_leases SET expires_at = now() WHERE shard < 4; UPDATE cluster_coordinator SET epoch = epoch + 1", member, heartbeat))
        {
            await locks.ExecuteNonQueryAsync();
        }

        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await ClusterSchema.EnsureAsync(dataSource, 16, patience.Token);
        await heartbeat.RollbackAsync();
    }

    [Fact]
    public async Task A_node_configured_with_fewer_shards_than_the_database_holds_is_refused()
    {
        string connectionString = await Server.CreateDatabaseAsync();
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await ClusterSchema.EnsureAsync(dataSource, 64);

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => ClusterSchema.EnsureAsync(dataSource, 32));
        Assert.Contains("64 shards", refused.Message);
    }
}
