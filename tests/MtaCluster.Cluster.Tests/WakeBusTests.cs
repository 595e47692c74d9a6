using System.Collections.Concurrent;
using System.Diagnostics;
using MtaCluster.Cluster.Wakeups;
using MtaCluster.Storage;
using MtaCluster.Testing;
using Xunit.Abstractions;

namespace MtaCluster.Cluster.Tests;

public sealed class WakeBusTests(PostgresFixture postgres, ITestOutputHelper output) : IClassFixture<PostgresFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Published_wake_ups_reach_the_listener_parsed_and_the_latency_is_reported()
    {
        string connectionString = await postgres.Server.CreateDatabaseAsync();
        var arrivals = new ConcurrentDictionary<string, TaskCompletionSource<long>>();
        var received = new ConcurrentQueue<WakeNotification>();
        await using var listener = new PostgresWakeListener(new PostgresWakeListenerOptions { ConnectionString = connectionString }, wake =>
        {
            long at = Stopwatch.GetTimestamp();
            received.Enqueue(wake);
            arrivals.GetOrAdd(wake.EntityId, _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(at);
        });
        listener.Start();
        await Poll.UntilAsync(() => listener.Connections == 1, Patience, "listening");
        await using var publisher = new PostgresWakePublisher(connectionString);

        const int count = 200;
        var latencies = new List<double>(count);
        for (int i = 0; i < count; i++)
        {
            string entity = $"example{i}.net";
            var arrival = arrivals.GetOrAdd(entity, _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously));
            long sent = Stopwatch.GetTimestamp();
            await publisher.PublishAsync(new WakeNotification(WakeNotification.DomainType, i % 64, entity));
            long arrived = await arrival.Task.WaitAsync(Patience);
            latencies.Add(Stopwatch.GetElapsedTime(sent, arrived).TotalMilliseconds);
        }

        Assert.Equal(count, received.Count);
        Assert.All(received, wake => Assert.Equal(WakeNotification.DomainType, wake.EntityType));
        Assert.Equal(Enumerable.Range(0, count).Select(i => i % 64), received.Select(wake => wake.Shard));
        latencies.Sort();
        output.WriteLine($"publish -> receive over loopback, {count} wake-ups: median {latencies[count / 2]:F2} ms, " +
            $"p99 {latencies[count * 99 / 100]:F2} ms, max {latencies[^1]:F2} ms");
    }

    [Fact]
    public async Task A_malformed_payload_is_ignored_and_the_listener_carries_on()
    {
        string connectionString = await postgres.Server.CreateDatabaseAsync();
        var received = new ConcurrentQueue<WakeNotification>();
        await using var listener = new PostgresWakeListener(new PostgresWakeListenerOptions { ConnectionString = connectionString }, received.Enqueue);
        listener.Start();
        await Poll.UntilAsync(() => listener.Connections == 1, Patience, "listening");
        string database = new Npgsql.NpgsqlConnectionStringBuilder(connectionString).Database!;

        await postgres.Server.PsqlAsync(database, $"SELECT pg_notify('{WakeNotification.Channel}', 'no-colons-here')");
        await postgres.Server.PsqlAsync(database, $"SELECT pg_notify('{WakeNotification.Channel}', 'message:7:0123ABC')");

        await Poll.UntilAsync(() => !received.IsEmpty, Patience, "the well-formed wake-up");
        Assert.Equal(new WakeNotification(WakeNotification.MessageType, 7, "0123ABC"), Assert.Single(received));
        Assert.Equal(1, listener.Connections);
    }
}
