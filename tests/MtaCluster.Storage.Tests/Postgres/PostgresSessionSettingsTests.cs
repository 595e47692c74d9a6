using Npgsql;
using MtaCluster.Storage.Postgres;

namespace MtaCluster.Storage.Tests.Postgres;

/// <summary>
/// The settings the store gives its own sessions, whatever the server's defaults: a commit waits for
/// its WAL flush, and a session that stops talking inside a transaction (its node frozen) is ended by
/// the server, so the lease rows its fenced write locked do not hold a takeover back.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresSessionSettingsTests(PostgresServerFixture fixture) : PostgresStoreTests(fixture)
{
    [Fact]
    public async Task A_store_session_left_idle_inside_a_transaction_is_ended_by_the_server_after_the_configured_time()
    {
        await using var store = new PostgresQueueStore(new PostgresQueueStoreOptions
        {
            ConnectionString = ConnectionString,
            IdleInTransactionTimeout = TimeSpan.FromMilliseconds(500),
        });
        await using var connection = await store.DataSource.OpenConnectionAsync();
        await using (var show = new NpgsqlCommand("SELECT current_setting('idle_in_transaction_session_timeout'), current_setting('synchronous_commit')", connection))
        await using (var reader = await show.ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync());
            Assert.Equal("500ms", reader.GetString(0));
            Assert.Equal("on", reader.GetString(1));
        }

        await using var transaction = await connection.BeginTransactionAsync();
        await using (var locking = new NpgsqlCommand("SELECT 1", connection, transaction))
        {
            await locking.ExecuteScalarAsync();
        }
        // Well past the timeout on any machine: the server has ended the session meanwhile.
        await Task.Delay(TimeSpan.FromSeconds(3));
        await using var next = new NpgsqlCommand("SELECT 1", connection, transaction);
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => next.ExecuteScalarAsync());
    }

    [Fact]
    public void The_default_stays_below_half_a_short_failure_timeout()
    {
        Assert.Equal(TimeSpan.FromSeconds(3), PostgresQueueStoreOptions.IdleInTransactionTimeoutWithin(TimeSpan.FromSeconds(6)));
        Assert.Equal(TimeSpan.FromSeconds(5), PostgresQueueStoreOptions.IdleInTransactionTimeoutWithin(TimeSpan.FromSeconds(10)));
        Assert.Equal(TimeSpan.FromSeconds(5), PostgresQueueStoreOptions.IdleInTransactionTimeoutWithin(TimeSpan.FromSeconds(60)));
    }
}
