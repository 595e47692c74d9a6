using System.Diagnostics;
using MtaCluster.Storage.Sqlite;

namespace MtaCluster.Storage.Tests.Benchmarks;

/// <summary>One measured run of <see cref="SpoolThroughputBenchmark"/>.</summary>
public sealed record SpoolThroughputResult(
    SqliteSynchronous Synchronous,
    int Producers,
    int Messages,
    int BodySize,
    TimeSpan Elapsed,
    GroupCommitStatistics Commits,
    TimeSpan MedianLatency,
    TimeSpan P99Latency)
{
    public double MessagesPerSecond => Messages / Elapsed.TotalSeconds;

    public override string ToString() =>
        $"| {Synchronous,-6} | {Producers,4} | {Messages,6} | {MessagesPerSecond,9:N0} | {Commits.CommittedBatches,7} | {Commits.AverageBatchSize,7:N1} | {Commits.LargestBatch,5} | {MedianLatency.TotalMilliseconds,7:N2} | {P99Latency.TotalMilliseconds,7:N2} |";

    public const string Header =
        "| sync   | prod | msgs   | msgs/s    | commits | avg/txn | max   | p50 ms  | p99 ms  |\n" +
        "|--------|------|--------|-----------|---------|---------|-------|---------|---------|";
}

/// <summary>
/// Spool write throughput as an SMTP server sees it: N producers, each enqueueing one message at a
/// time and waiting for its commit (as an SMTP connection waits before answering <c>250</c>), against a
/// fresh spool file. Reports messages per second, how the writer grouped them, and the latency of
/// one enqueue.
/// </summary>
public static class SpoolThroughputBenchmark
{
    public static async Task<SpoolThroughputResult> RunAsync(
        string directory,
        SqliteSynchronous synchronous,
        int producers,
        int messages,
        int bodySize = 2048,
        int recipients = 1,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(producers, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(messages, 1);

        var path = Path.Combine(directory, $"bench-{synchronous}-{producers}-{Guid.NewGuid():N}.db");
        var options = new SqliteQueueStoreOptions { DatabasePath = path, Synchronous = synchronous };
        var body = new byte[bodySize];
        new Random(42).NextBytes(body);
        var now = DateTimeOffset.UtcNow;
        var rcpts = Enumerable.Range(0, recipients).Select(i => new SpoolRecipient($"user{i}@example.com", "example.com", 7)).ToArray();

        await using var store = new SqliteQueueStore(options);
        await store.InitializeAsync(cancellationToken);

        // Warm-up: JIT, statement preparation and the first pages of the file.
        for (var i = 0; i < 20; i++)
            await store.EnqueueAsync(new SpoolMessage(QueueId.New(), "bench@example.org", rcpts, body, now), cancellationToken);

        var before = store.GetGroupCommitStatistics();
        var latencies = new long[messages];
        var next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, producers).Select(_ => Task.Run(async () =>
        {
            int n;
            while ((n = Interlocked.Increment(ref next)) < messages)
            {
                var message = new SpoolMessage(QueueId.New(), "bench@example.org", rcpts, body, now);
                var start = Stopwatch.GetTimestamp();
                await store.EnqueueAsync(message, cancellationToken);
                latencies[n] = Stopwatch.GetTimestamp() - start;
            }
        }, cancellationToken)));
        clock.Stop();

        var after = store.GetGroupCommitStatistics();
        var commits = new GroupCommitStatistics(
            after.CommittedBatches - before.CommittedBatches,
            after.CommittedMessages - before.CommittedMessages,
            after.CommittedOperations - before.CommittedOperations,
            after.FailedOperations - before.FailedOperations,
            after.LargestBatch);
        Array.Sort(latencies);
        return new SpoolThroughputResult(
            synchronous, producers, messages, bodySize, clock.Elapsed, commits,
            Stopwatch.GetElapsedTime(0, latencies[messages / 2]),
            Stopwatch.GetElapsedTime(0, latencies[Math.Min(messages - 1, (int)(messages * 0.99))]));
    }
}
