using System.Text.Json;
using MtaCluster.Mail;
using MtaCluster.Storage.Postgres;
using Npgsql;
using Xunit.Abstractions;

namespace MtaCluster.Storage.Tests.Postgres;

/// <summary>
/// At a million queued recipients, what a shard owner and a domain entity ask for is an index range
/// scan that reads about as many pages as it returns rows: no sequential scan, no sort, no grouping,
/// so the cost of a scan does not grow with the queue.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresQueryPlanTests(PostgresServerFixture fixture, ITestOutputHelper output) : PostgresStoreTests(fixture)
{
    private const int Pending = 1_000_000;
    private const int Final = 20_000;
    private const int Limit = 100;
    private const int Total = Pending + Final;

    // Recipients of 10,000 messages over 500 domains (a domain's shard from its name, as the node's
    // shard function does), each domain's in two lanes and three tenants (about 330 a queue), all due;
    // 20,000 more already delivered. session_replication_role = replica skips the foreign-key
    // triggers, and the store's recipient indexes are built after the fill (by the store's own DDL,
    // which creates what is missing), so the fill takes seconds rather than most of a minute.
    private static readonly string Fill = $"""
        SET session_replication_role = replica;
        SET maintenance_work_mem = '256MB';
        SET synchronous_commit = off;
        DROP INDEX ix_recipients_shard_due, ix_recipients_domain_due, ix_recipients_lane_due, ix_recipients_message;
        INSERT INTO messages (id, reverse_path, body_type, smtputf8, ret, received_at, size, shard, body)
        SELECT 'm' || g, 's@example.org', 0, false, 0, 0, 1, g % 256, '\x41'::bytea FROM generate_series(0, 9999) g;
        INSERT INTO recipients (message_id, address, notify, domain, shard, state, next_attempt_at, queued_at, lane, tenant)
        SELECT 'm' || (g % 10000), 'u' || g || '@d' || (g % 500) || '.test', 0, 'd' || (g % 500) || '.test', (g % 500) % 256,
               CASE WHEN g < {Pending} THEN 0 ELSE 1 END, 1000 + g, 1000, (g / 500) % 2, 't' || ((g / 1000) % 3)
        FROM generate_series(0, {Total - 1}) g;
        """;

    [Fact]
    public async Task Due_scans_and_the_domain_walk_are_index_scans_that_read_a_page_per_row_at_a_million_recipients()
    {
        var store = await OpenStoreAsync();
        var fill = System.Diagnostics.Stopwatch.StartNew();
        await PsqlAsync(Fill + PostgresSchema.Create + ";\nANALYZE recipients;");
        output.WriteLine($"-- filled and indexed {Total:N0} recipients in {fill.Elapsed.TotalSeconds:F1} s");
        Assert.Equal(Pending, (await store.GetStatisticsAsync()).Pending);
        await using var connection = await store.OpenConnectionAsync();
        var now = 10_000_000L;

        var shard = await ExplainAsync(connection, "due recipients of shard 17", PostgresSchema.SelectDueForShard, 17, now, Limit);
        AssertRangeScan(shard, "ix_recipients_shard_due");

        var lane = await ExplainAsync(connection, "due recipients of (d42.test, bulk, t0)", PostgresSchema.SelectDueForLane, "d42.test", (short)DeliveryLane.Bulk, "t0", now, Limit);
        AssertRangeScan(lane, "ix_recipients_lane_due");

        var domain = await ExplainAsync(connection, "due recipients of d42.test", PostgresSchema.SelectDueForDomain, "d42.test", now, Limit);
        AssertRangeScan(domain, "ix_recipients_domain_due");

        var walk = await ExplainAsync(connection, "a page of the pending-domain walk", PostgresSchema.SelectPendingDomainsPage, "", Limit);
        AssertNoScanOfTheTable(walk);
        Assert.Equal(Limit, (await store.GetPendingDomainsAsync(null, Limit)).Domains.Count);

        var queues = await ExplainAsync(connection, "lane queues of d42.test", PostgresSchema.SelectLaneQueues, "d42.test");
        AssertNoScanOfTheTable(queues);
        Assert.Equal(6, (await store.GetLaneQueuesAsync("d42.test")).Count);
    }

    private static void AssertRangeScan(JsonElement plan, string index)
    {
        AssertNoScanOfTheTable(plan);
        var scans = Nodes(plan).Where(n => n.GetProperty("Node Type").GetString() is "Index Scan" or "Index Only Scan").ToList();
        // A due query's check of the domain's suspension is one seek, made once before the scan (an InitPlan).
        var suspension = scans.Where(n => n.TryGetProperty("Relation Name", out var r) && r.GetString() == "domain_suspensions").ToList();
        Assert.All(suspension, n =>
        {
            Assert.Equal("InitPlan", n.GetProperty("Parent Relationship").GetString());
            Assert.Equal(1, n.GetProperty("Actual Loops").GetInt64());
        });
        var scan = Assert.Single(scans.Except(suspension));
        Assert.Equal(index, scan.GetProperty("Index Name").GetString());
        Assert.Equal(Limit, scan.GetProperty("Actual Rows").GetInt64());
        // A page of the index and of the heap per row at most: it stopped after the rows it returned.
        Assert.InRange(Pages(plan), 1, 3 * Limit);
    }

    private static void AssertNoScanOfTheTable(JsonElement plan)
    {
        foreach (var node in Nodes(plan))
        {
            var type = node.GetProperty("Node Type").GetString();
            Assert.NotEqual("Seq Scan", type);
            // A sort of what a loose index scan found (a CTE's few rows) is no sort of the table.
            Assert.False(type is "Sort" or "Incremental Sort" && !Children(node).Any(c => c.GetProperty("Node Type").GetString() == "CTE Scan"),
                "no sort over the recipients");
            Assert.NotEqual("Bitmap Heap Scan", type);
            Assert.False(type == "Aggregate" && node.GetProperty("Strategy").GetString() is "Hashed" or "Sorted",
                "no grouping over the recipients");
        }
        Assert.InRange(Pages(plan), 1, 20 * Limit);
    }

    private static long Pages(JsonElement plan) =>
        plan.GetProperty("Shared Hit Blocks").GetInt64() + plan.GetProperty("Shared Read Blocks").GetInt64();

    private static IEnumerable<JsonElement> Children(JsonElement node) =>
        node.TryGetProperty("Plans", out var children) ? children.EnumerateArray() : [];

    private static IEnumerable<JsonElement> Nodes(JsonElement node)
    {
        yield return node;
        if (node.TryGetProperty("Plans", out var children))
        {
            foreach (var child in children.EnumerateArray())
            {
                foreach (var descendant in Nodes(child))
                    yield return descendant;
            }
        }
    }

    private async Task<JsonElement> ExplainAsync(NpgsqlConnection connection, string what, string sql, params object[] values)
    {
        await using var command = PostgresQueueStore.Command(connection, "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, values);
        var json = (string)(await command.ExecuteScalarAsync())!;
        output.WriteLine($"-- {what}");
        output.WriteLine(json);
        using var document = JsonDocument.Parse(json);
        return document.RootElement[0].GetProperty("Plan").Clone();
    }
}
