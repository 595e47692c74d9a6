using MtaCluster.Storage.Tests.Postgres;
using Xunit.Abstractions;

namespace MtaCluster.Storage.Tests.Benchmarks;

/// <summary>
/// Runs the PostgreSQL accept benchmark briefly so it keeps working. For real figures set
/// PG_BENCH_MESSAGES (e.g. 3000) and run with a detailed console logger to see the table.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresAcceptBenchmarkTests(PostgresServerFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task Every_strategy_stores_every_message_and_groups_64_callers_into_shared_transactions()
    {
        var messages = int.TryParse(Environment.GetEnvironmentVariable("PG_BENCH_MESSAGES"), out var n) ? n : 128;
        var results = new List<PostgresAcceptResult>();
        foreach (var bodySize in new[] { 2 * 1024, 100 * 1024 })
        {
            foreach (var strategy in Enum.GetValues<PostgresAcceptStrategy>())
            {
                var database = $"bench_{Guid.NewGuid():N}";
                var connectionString = await fixture.Server.CreateDatabaseAsync(database);
                var result = await PostgresAcceptBenchmark.RunAsync(connectionString, strategy, bodySize, 64, bodySize > 10_000 ? Math.Max(64, messages / 4) : messages);
                results.Add(result);
                var stored = (await fixture.Server.PsqlAsync(database, "SELECT count(*) FROM recipients")).Trim();
                Assert.Equal(result.Messages + Math.Min(64, 8) * 2, int.Parse(stored));
                Assert.True(result.Transactions < result.Messages, result.ToString());
            }
        }

        output.WriteLine(PostgresAcceptResult.Header);
        foreach (var result in results)
            output.WriteLine(result.ToString());
    }
}
