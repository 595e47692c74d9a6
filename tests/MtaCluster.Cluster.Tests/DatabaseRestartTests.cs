using System.Collections.Concurrent;
using MtaCluster.Cluster.Wakeups;
using MtaCluster.Storage;
using MtaCluster.Testing;

namespace MtaCluster.Cluster.Tests;

/// <summary>Crashes the class's own PostgreSQL, so it shares the server with no other test.</summary>
public sealed class DatabaseRestartTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task After_a_database_crash_and_restart_members_and_the_wake_listener_reconnect_by_themselves()
    {
        string connectionString = await postgres.Server.CreateDatabaseAsync();
        await using var cluster = new ClusterHarness(connectionString);
        var members = await cluster.StartInOrderAsync("n1", "n2", "n3");
        await Poll.UntilAsync(() => cluster.SettledAsync(members), Patience, "three members settled");
        var received = new ConcurrentQueue<WakeNotification>();
        await using var listener = new PostgresWakeListener(
            new PostgresWakeListenerOptions { ConnectionString = connectionString, MaxReconnectDelay = TimeSpan.FromSeconds(1) },
            received.Enqueue);
        listener.Start();
        await Poll.UntilAsync(() => listener.Connections == 1, Patience, "listening");

        await postgres.Server.CrashAsync();
        await postgres.Server.StartAsync();

        await Poll.UntilAsync(() => cluster.SettledAsync(members), Patience, "three members settled again");
        await Poll.UntilAsync(() => listener.Connections >= 2, Patience, "the listener reconnected");

        // A wake-up sent while the listener is still between connections is lost by design; send until one arrives.
        await using var publisher = new PostgresWakePublisher(connectionString);
        var wake = new WakeNotification(WakeNotification.DomainType, 3, "after-restart.example");
        await Poll.UntilAsync(async () =>
        {
            await publisher.PublishAsync(wake);
            return received.Contains(wake);
        }, Patience, "a wake-up after the restart");

        Assert.All(members, member => Assert.Equal(MemberState.Up, member.State));
        Assert.Equal(ClusterHarness.Shards, members.Sum(member => member.HeldShardCount));
        cluster.AssertHistoryHasNoOverlap();
    }
}
