using Microsoft.Data.Sqlite;
using MtaCluster.Mail;
using MtaCluster.Storage.Sqlite;
using static MtaCluster.Storage.Tests.Sqlite.SqliteQueryPlan;

namespace MtaCluster.Storage.Tests.Sqlite;

/// <summary>A destination's due work split by lane and tenant, and the plans that keep it range scans.</summary>
public sealed class SqliteLaneQueueTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly ScratchDirectory _directory = new();
    private SqliteQueueStore _store = null!;

    public async Task InitializeAsync()
    {
        _store = new SqliteQueueStore(SqliteQueueStoreOptions.ForDataDirectory(_directory.Path));
        await _store.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _directory.Dispose();
    }

    private static SpoolMessage Message(DateTimeOffset at, string tenant, DeliveryLane lane, string campaign, params string[] recipients) =>
        new(QueueId.New(), "sender@example.org",
            recipients.Select(r => new SpoolRecipient(r, r[(r.IndexOf('@') + 1)..], 1)).ToArray(),
            "Subject: x\r\n\r\nbody\r\n"u8.ToArray(), at, Tenant: tenant, Lane: lane, Campaign: campaign);

    [Fact]
    public async Task Each_lane_and_tenant_of_a_domain_is_its_own_queue_oldest_first()
    {
        await _store.EnqueueAsync(Message(T0.AddSeconds(3), "acme", DeliveryLane.Bulk, "spring", "a1@d.test"));
        await _store.EnqueueAsync(Message(T0.AddSeconds(1), "acme", DeliveryLane.Bulk, "spring", "a0@d.test", "x@other.test"));
        await _store.EnqueueAsync(Message(T0.AddSeconds(2), "beta", DeliveryLane.Bulk, "c", "b0@d.test"));
        await _store.EnqueueAsync(Message(T0.AddSeconds(5), "acme", DeliveryLane.Transactional, "c", "t0@d.test"));
        await _store.EnqueueAsync(Message(T0.AddSeconds(4), "default", DeliveryLane.Bulk, "c", "n0@d.test"));

        var queues = await _store.GetLaneQueuesAsync("d.test");
        Assert.Equal(
            [(DeliveryLane.Bulk, "acme", T0.AddSeconds(1)), (DeliveryLane.Bulk, "beta", T0.AddSeconds(2)),
             (DeliveryLane.Bulk, "default", T0.AddSeconds(4)), (DeliveryLane.Transactional, "acme", T0.AddSeconds(5))],
            queues.Select(q => (q.Lane, q.Tenant, q.NextAttemptAt)));

        var acmeBulk = await _store.GetDueRecipientsForDomainAsync("d.test", DeliveryLane.Bulk, "acme", T0.AddMinutes(1), 10);
        Assert.Equal(["a0@d.test", "a1@d.test"], acmeBulk.Select(r => r.Address));
        Assert.All(acmeBulk, r => Assert.Equal((DeliveryLane.Bulk, "acme"), (r.Lane, r.Tenant)));
        Assert.Equal(["a0@d.test"], (await _store.GetDueRecipientsForDomainAsync("d.test", DeliveryLane.Bulk, "acme", T0.AddSeconds(2), 10)).Select(r => r.Address));
        var transactional = Assert.Single(await _store.GetDueRecipientsForDomainAsync("d.test", DeliveryLane.Transactional, "acme", T0.AddMinutes(1), 10));
        Assert.Equal(DeliveryLane.Transactional, transactional.Lane);
        Assert.Empty(await _store.GetDueRecipientsForDomainAsync("d.test", DeliveryLane.Transactional, "beta", T0.AddMinutes(1), 10));
        Assert.Empty(await _store.GetLaneQueuesAsync("none.test"));

        // A final recipient leaves its queue; the queue goes once it has no pending one.
        await _store.RecordAttemptsAsync([new RecipientAttempt(transactional.RecipientId, RecipientState.Delivered, T0, "250 ok")]);
        Assert.DoesNotContain(await _store.GetLaneQueuesAsync("d.test"), q => q.Lane == DeliveryLane.Transactional);
    }

    [Fact]
    public async Task The_message_keeps_its_tenant_lane_and_campaign()
    {
        var message = Message(T0, "acme", DeliveryLane.Transactional, "reset-2026", "a@d.test");
        await _store.EnqueueAsync(message);
        var stored = await _store.GetMessageAsync(message.Id);
        Assert.NotNull(stored);
        Assert.Equal(("acme", DeliveryLane.Transactional, "reset-2026"), (stored.Tenant, stored.Lane, stored.Campaign));
    }

    [Fact]
    public async Task The_lane_queries_are_index_seeks_without_a_scan_or_sort()
    {
        for (var i = 0; i < 60; i++)
            await _store.EnqueueAsync(Message(T0.AddSeconds(i), i % 3 == 0 ? "acme" : "beta", (DeliveryLane)(i % 2), "c", $"u{i}@d{i % 4}.test"));
        await using var connection = await _store.OpenReadConnectionAsync();
        await using (var analyze = connection.CreateCommand())
        {
            // The planner's choice with statistics, as a long-running spool has them after its optimize.
            analyze.CommandText = "ANALYZE";
            await analyze.ExecuteNonQueryAsync();
        }

        var due = await QueryPlanAsync(connection, SqliteSchema.SelectDueForLane,
            ("$domain", "d1.test"), ("$lane", 1), ("$tenant", "acme"), ("$now", 0L), ("$limit", 10));
        Assert.Contains(due, d => d.StartsWith("SEARCH recipients USING INDEX ix_recipients_lane_due (domain=? AND state=? AND lane=? AND tenant=? AND next_attempt_at<?)", StringComparison.Ordinal));

        var queues = await QueryPlanAsync(connection, SqliteSchema.SelectNextLaneQueue, ("$domain", "d1.test"), ("$lane", 0), ("$tenant", "acme"));
        Assert.Contains(queues, d => d.StartsWith("SEARCH r USING COVERING INDEX ix_recipients_lane_due (domain=? AND state=? AND (lane,tenant)>(?,?))", StringComparison.Ordinal));
        Assert.Contains(queues, d => d.StartsWith("SEARCH q USING COVERING INDEX ix_recipients_lane_due (domain=? AND state=? AND lane=? AND tenant=?)", StringComparison.Ordinal));

        foreach (var detail in due.Concat(queues))
        {
            Assert.DoesNotContain("SCAN", detail, StringComparison.Ordinal);
            Assert.DoesNotContain("TEMP B-TREE", detail, StringComparison.Ordinal);
        }
    }

}
