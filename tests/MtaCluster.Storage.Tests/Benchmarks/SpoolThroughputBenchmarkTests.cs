using MtaCluster.Storage.Sqlite;
using Xunit.Abstractions;

namespace MtaCluster.Storage.Tests.Benchmarks;

/// <summary>
/// Runs the spool benchmark briefly so it keeps working. For real figures set
/// SPOOL_BENCH_MESSAGES (e.g. 20000) and run with a detailed console logger to see the table.
/// </summary>
public sealed class SpoolThroughputBenchmarkTests(ITestOutputHelper output) : IDisposable
{
    private readonly ScratchDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Durability_and_batching_across_producer_counts()
    {
        var messages = int.TryParse(Environment.GetEnvironmentVariable("SPOOL_BENCH_MESSAGES"), out var n) ? n : 300;
        var results = new List<SpoolThroughputResult>();
        foreach (var producers in new[] { 1, 20, 100 })
        {
            foreach (var synchronous in new[] { SqliteSynchronous.Full, SqliteSynchronous.Normal })
            {
                var result = await SpoolThroughputBenchmark.RunAsync(_directory.Path, synchronous, producers, messages);
                results.Add(result);
                Assert.Equal(messages, result.Commits.CommittedMessages);
                Assert.Equal(0, result.Commits.FailedOperations);
            }
        }

        output.WriteLine(SpoolThroughputResult.Header);
        foreach (var result in results)
            output.WriteLine(result.ToString());

        // One producer can never share a commit; a hundred of them must.
        Assert.All(results.Where(r => r.Producers == 1), r => Assert.Equal(1.0, r.Commits.AverageBatchSize));
        Assert.All(results.Where(r => r.Producers == 100), r => Assert.True(r.Commits.AverageBatchSize > 2, r.ToString()));
    }
}
