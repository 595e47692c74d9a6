using MtaCluster.Testing;

namespace MtaCluster.Storage.Tests.Postgres;

public sealed class PostgresServerTests
{
    [Fact]
    public async Task A_throwaway_server_keeps_committed_rows_across_a_crash_and_restart()
    {
        await using var server = await PostgresServer.StartNewAsync();
        await server.CreateDatabaseAsync("crash_check");
        await server.PsqlAsync("crash_check", "CREATE TABLE t (v int); INSERT INTO t VALUES (42);");

        await server.CrashAsync();
        await Assert.ThrowsAsync<InvalidOperationException>(() => server.PsqlAsync("crash_check", "SELECT 1"));
        await server.StartAsync();

        Assert.Equal("42", (await server.PsqlAsync("crash_check", "SELECT v FROM t")).Trim());
    }
}
