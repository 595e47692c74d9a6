using MtaCluster.Testing;

namespace MtaCluster.Storage.Tests.Postgres;

/// <summary>
/// With Notify on, the transaction that stores mail wakes each (shard, domain) entity it gave work,
/// and the one that completes a message wakes that message's entity; they arrive with the commit,
/// once per entity and transaction, and never for a write that did not commit.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresWakeNotificationTests(PostgresServerFixture fixture) : PostgresStoreTests(fixture)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_stored_message_wakes_each_of_its_domain_entities_once()
    {
        await using var listener = await WakeListener.StartAsync(ConnectionString);
        var store = await OpenStoreAsync(notify: true);
        var message = Message(4, Rcpt("a@one.test", 1), Rcpt("b@one.test", 1), Rcpt("c@two.test", 2), Rcpt("d@two.test", 2));

        await store.EnqueueAsync(message);

        string[] expected = ["domain:1:one.test", "domain:2:two.test"];
        await Poll.UntilAsync(() => listener.Payloads.Count >= 2, Patience, "the domain wake-ups");
        await MarkerAsync(store, listener);
        Assert.Equal(expected, listener.Payloads.Where(p => !p.Contains("marker", StringComparison.Ordinal)).Order());
        Assert.All(listener.Payloads, p => Assert.True(WakeNotification.TryParse(p, out _), p));
    }

    [Fact]
    public async Task Completing_a_message_wakes_its_message_entity_once_and_a_retry_wakes_nobody()
    {
        var store = await OpenStoreAsync(notify: true);
        var message = Message(6, Rcpt("a@one.test", 1), Rcpt("b@two.test", 2));
        await store.EnqueueAsync(message);
        var rs = await store.GetRecipientsAsync(message.Id);
        await using var listener = await WakeListener.StartAsync(ConnectionString);

        await store.RecordAttemptsAsync([Outcome(rs[0], RecipientState.Pending, "451 later")]);
        await store.RecordAttemptsAsync([Outcome(rs[0], RecipientState.Delivered), Outcome(rs[1], RecipientState.Failed, "550 no")]);

        await Poll.UntilAsync(() => listener.Payloads.Count >= 1, Patience, "the message wake-up");
        await MarkerAsync(store, listener);
        Assert.Equal([$"message:6:{message.Id}"], listener.Payloads.Where(p => !p.Contains("marker", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_store_without_notify_and_a_rejected_message_wake_nobody()
    {
        var quiet = await OpenStoreAsync(notify: false);
        var store = await OpenStoreAsync(notify: true);
        var original = Message(1, Rcpt("a@one.test", 1));
        await store.EnqueueAsync(original);
        await using var listener = await WakeListener.StartAsync(ConnectionString);

        await quiet.EnqueueAsync(Message(1, Rcpt("a@quiet.test", 3)));
        var duplicate = original with { Recipients = [Rcpt("b@dup.test", 5)] };
        await Assert.ThrowsAnyAsync<Exception>(() => store.EnqueueAsync(duplicate));

        await MarkerAsync(store, listener);
        Assert.Equal(["domain:9:marker.test"], listener.Payloads);
    }

    /// <summary>
    /// Stores a message for marker.test and waits for its wake-up: notifications arrive in commit order,
    /// so every one of the writes before it has arrived by then too, or never will.
    /// </summary>
    private static async Task MarkerAsync(IQueueStore store, WakeListener listener)
    {
        await store.EnqueueAsync(Message(1, Rcpt("m@marker.test", 9)));
        await Poll.UntilAsync(() => listener.Payloads.Contains("domain:9:marker.test"), Patience, "the marker's wake-up");
    }
}
