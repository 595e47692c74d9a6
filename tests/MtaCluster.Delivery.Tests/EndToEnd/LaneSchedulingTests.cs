using System.Diagnostics;
using MtaCluster.Delivery.Accounting;
using MtaCluster.Delivery.Domains;
using MtaCluster.Delivery.Tenants;
using MtaCluster.Mail;
using MtaCluster.Testing;
using Xunit.Abstractions;

namespace MtaCluster.Delivery.Tests.EndToEnd;

/// <summary>
/// Lanes and tenants at a throttled receiver, asserted on what arrives there and in which order:
/// transactional mail overtakes a bulk backlog, tenants share the domain by weight, and bulk keeps
/// its floor under endless transactional mail.
/// </summary>
/// <remarks>
/// The shares are checked over every run of <see cref="Window"/> consecutive deliveries while both
/// sides still wait, rather than over 20 s of a 10/s domain: the scheduler decides by count, at the
/// moment the domain's throttle gives a token, so a window of n deliveries has the same meaning at
/// any rate, and a faster throttle keeps each test to a few seconds. The floor test uses one
/// connection, so the order at the receiver is the order of the decisions; the tenant tests four, as
/// one connection here does about 20 transactions a second, and a transaction finishing out of its
/// turn on another connection moves a share by a point or two, well inside the tolerance.
/// </remarks>
public sealed class LaneSchedulingTests(ITestOutputHelper output)
{
    private const string Domain = "slow.test";
    private const int Window = 100;

    private sealed class Receiver : IAsyncDisposable
    {
        private readonly List<(string Recipient, double At)> _arrivals = new();
        private readonly Stopwatch _clock = Stopwatch.StartNew();

        public Receiver()
        {
            Peer = new ScriptedPeer(async (connection, _) =>
            {
                string? recipient = null;
                var dialogue = new SmtpDialogue
                {
                    OnCommand = line =>
                    {
                        if (line.StartsWith("RCPT TO:<", StringComparison.OrdinalIgnoreCase)) recipient = line[9..line.IndexOf('>')];
                        return null;
                    },
                    AfterData = async c =>
                    {
                        lock (_arrivals) _arrivals.Add((recipient!, _clock.Elapsed.TotalSeconds));
                        await c.SendAsync("250 2.0.0 Ok\r\n");
                    },
                };
                await dialogue.RunAsync(connection);
            });
        }

        public ScriptedPeer Peer { get; }

        public double Now => _clock.Elapsed.TotalSeconds;

        public (string Recipient, double At)[] Arrivals
        {
            get { lock (_arrivals) return _arrivals.ToArray(); }
        }

        public ValueTask DisposeAsync() => Peer.DisposeAsync();
    }

    private static string Domains(int port, int perMinute, int connections = 1) =>
        $"default:\n{DeliveryHarness.FastRetry}\ndomains:\n  {Domain}:\n    route: 127.0.0.1:{port}\n" +
        $"    max-connections: {connections}\n    max-messages-per-minute: {perMinute}\n    burst-window: 1s\n";

    private static TenantDirectory Tenants(int acmeWeight, int betaWeight) => new(new TenantsOptions
    {
        ["acme"] = new TenantOptions { Users = ["acme-app"], Weight = acmeWeight },
        ["beta"] = new TenantOptions { Users = ["beta-app"], Weight = betaWeight },
    });

    private static async Task SubmitManyAsync(DeliveryHarness mta, string prefix, int count, string tenant, DeliveryLane lane)
    {
        // In parallel, as many SMTP sessions would: the spool's group commit takes them together.
        for (var start = 0; start < count; start += 50)
        {
            await Task.WhenAll(Enumerable.Range(start, Math.Min(50, count - start))
                .Select(i => mta.SubmitMessageAsync("sender@example.com", [$"{prefix}{i}@{Domain}"], tenant: tenant, lane: lane)));
        }
    }

    [Fact]
    public async Task A_transactional_message_overtakes_a_bulk_backlog_of_a_thousand_at_ten_a_second()
    {
        await using var receiver = new Receiver();
        await using var mta = await DeliveryHarness.StartAsync(Domains(receiver.Peer.EndPoint.Port, perMinute: 600, connections: 2), receiver.Peer.EndPoint.Port,
            configure: o => o.ConnectionIdleTimeout = TimeSpan.FromSeconds(30));

        await SubmitManyAsync(mta, "bulk", 1000, "default", DeliveryLane.Bulk);
        // The backlog is there and the domain is sending it at its pace.
        await Poll.UntilAsync(() => Task.FromResult(receiver.Arrivals.Length >= 10), TimeSpan.FromSeconds(60), "the bulk backlog to start moving");

        var submittedAt = receiver.Now;
        await mta.SubmitMessageAsync("sender@example.com", [$"reset@{Domain}"], lane: DeliveryLane.Transactional);
        await Poll.UntilAsync(() => Task.FromResult(receiver.Arrivals.Any(a => a.Recipient.StartsWith("reset@", StringComparison.Ordinal))),
            TimeSpan.FromSeconds(60), "the transactional message to arrive");

        var arrivals = receiver.Arrivals;
        var reset = arrivals.Single(a => a.Recipient.StartsWith("reset@", StringComparison.Ordinal));
        var bulkBefore = arrivals.Count(a => a.At <= reset.At && a.Recipient.StartsWith("bulk", StringComparison.Ordinal));
        output.WriteLine($"transactional arrived {reset.At - submittedAt:F3} s after submission, behind {bulkBefore} of 1000 bulk");
        Assert.InRange(reset.At - submittedAt, 0, 2);
        // It did not simply wait for the backlog: most of the bulk mail was still queued.
        Assert.True(bulkBefore < 500, $"{bulkBefore} bulk messages arrived first");
    }

    [Theory]
    [InlineData(1, 1, 0.50)]
    [InlineData(3, 1, 0.75)]
    public async Task Tenants_share_a_throttled_domain_by_weight(int acmeWeight, int betaWeight, double acmeShare)
    {
        await using var receiver = new Receiver();
        DeliveryOptions? options = null;
        await using var mta = await DeliveryHarness.StartAsync(Domains(receiver.Peer.EndPoint.Port, perMinute: 6000, connections: 4), receiver.Peer.EndPoint.Port,
            configure: o => { o.Hold = true; o.ConnectionIdleTimeout = TimeSpan.FromSeconds(30); options = o; }, tenants: Tenants(acmeWeight, betaWeight));

        // Both queues are full before the first send, as two campaigns queued at once are.
        const int each = 200;
        await SubmitManyAsync(mta, "a", each, "acme", DeliveryLane.Bulk);
        await SubmitManyAsync(mta, "b", each, "beta", DeliveryLane.Bulk);
        var released = receiver.Now;
        options!.Hold = false;
        mta.Engine.OnNewWork([Domain]);
        await Poll.UntilAsync(() => Task.FromResult(receiver.Arrivals.Length >= 2 * each), TimeSpan.FromSeconds(120), "every message to arrive");
        output.WriteLine($"submitted in {released:F1} s, delivered in {receiver.Arrivals[^1].At - released:F1} s");

        var order = receiver.Arrivals.Select(a => a.Recipient[0]).ToArray();
        // Both wait until the first of them has sent its last message.
        var bothWait = Math.Min(Array.LastIndexOf(order, 'a'), Array.LastIndexOf(order, 'b')) + 1;
        Assert.True(bothWait >= Window, $"both tenants waited for {bothWait} deliveries");
        var shares = SlidingShares(order.AsSpan(0, bothWait), 'a');
        output.WriteLine($"acme's share over {shares.Length} windows of {Window}: {shares.Min():P1} .. {shares.Max():P1} (expected {acmeShare:P0})");
        Assert.All(shares, share => Assert.InRange(share, acmeShare - 0.10, acmeShare + 0.10));
        Assert.Equal(each, order.Count(c => c == 'a'));
        Assert.Equal(each, order.Count(c => c == 'b'));
    }

    [Fact]
    public async Task Bulk_keeps_its_floor_while_transactional_mail_never_stops()
    {
        await using var receiver = new Receiver();
        DeliveryOptions? options = null;
        await using var mta = await DeliveryHarness.StartAsync(Domains(receiver.Peer.EndPoint.Port, perMinute: 6000), receiver.Peer.EndPoint.Port,
            configure: o => { o.Hold = true; o.ConnectionIdleTimeout = TimeSpan.FromSeconds(30); options = o; });

        // More transactional mail than the domain sends while the test watches, more arriving all along.
        await SubmitManyAsync(mta, "t", 200, "default", DeliveryLane.Transactional);
        await SubmitManyAsync(mta, "b", 50, "default", DeliveryLane.Bulk);
        options!.Hold = false;
        mta.Engine.OnNewWork([Domain]);
        var more = 0;
        while (receiver.Arrivals.Count(a => a.Recipient[0] == 'b') < 15)
        {
            await SubmitManyAsync(mta, $"t{more++}x", 50, "default", DeliveryLane.Transactional);
            await Poll.UntilAsync(() => Task.FromResult(receiver.Arrivals.Length >= 150 * more), TimeSpan.FromSeconds(60), "deliveries to go on");
        }

        var order = receiver.Arrivals.Select(a => a.Recipient[0]).ToArray();
        // Transactional waited all along: its queue never ran dry before this point.
        var watched = Array.LastIndexOf(order, 'b') + 1;
        var shares = SlidingShares(order.AsSpan(0, watched), 'b');
        output.WriteLine($"bulk's share over {shares.Length} windows of {Window}: {shares.Min():P1} .. {shares.Max():P1} (floor {DeliveryOptions.DefaultBulkFloor:P0})");
        Assert.NotEmpty(shares);
        Assert.All(shares, share => Assert.InRange(share, DeliveryOptions.DefaultBulkFloor, DeliveryOptions.DefaultBulkFloor + 0.02));
    }

    [Fact]
    public async Task Accounting_records_name_the_tenant_and_lane()
    {
        await using var receiver = new Receiver();
        await using var mta = await DeliveryHarness.StartAsync(Domains(receiver.Peer.EndPoint.Port, perMinute: 6000), receiver.Peer.EndPoint.Port,
            tenants: Tenants(1, 1));
        var bulk = await mta.SubmitMessageAsync("sender@example.com", [$"a@{Domain}"], tenant: "acme", lane: DeliveryLane.Bulk);
        var transactional = await mta.SubmitMessageAsync("sender@example.com", [$"b@{Domain}"], tenant: "beta", lane: DeliveryLane.Transactional);
        var records = await mta.Accounting.WaitForAsync(r => r.Type == AccountingRecordType.Delivered, count: 2);
        Assert.Equal(("acme", "bulk"), records.Where(r => r.MessageId == bulk.Id).Select(r => (r.Tenant, r.Lane)).Single());
        Assert.Equal(("beta", "transactional"), records.Where(r => r.MessageId == transactional.Id).Select(r => (r.Tenant, r.Lane)).Single());
    }

    /// <summary>The share of <paramref name="who"/> in every run of <see cref="Window"/> consecutive deliveries.</summary>
    private static double[] SlidingShares(ReadOnlySpan<char> order, char who)
    {
        if (order.Length < Window) return [];
        var shares = new double[order.Length - Window + 1];
        var count = 0;
        for (var i = 0; i < order.Length; i++)
        {
            if (order[i] == who) count++;
            if (i >= Window && order[i - Window] == who) count--;
            if (i >= Window - 1) shares[i - Window + 1] = (double)count / Window;
        }
        return shares;
    }
}
