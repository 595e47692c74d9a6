using FsCheck;
using FsCheck.Fluent;
using MtaCluster.Delivery.Policies;
using MtaCluster.Delivery.Scheduling;
using MtaCluster.Delivery.Throttling;
using MtaCluster.Mail;
using MtaCluster.Testing;

namespace MtaCluster.Delivery.Tests.Scheduling;

public class DomainSendSchedulerTests
{
    private readonly ManualTimeProvider _time = new();

    private DomainSendScheduler<int> NewScheduler(double bulkFloor = 0.10) => new(bulkFloor, _time);

    private static void Fill(DomainSendScheduler<int> scheduler, DeliveryLane lane, int tenant, int count)
    {
        for (var i = 0; i < count; i++) scheduler.Enqueue(lane, tenant, i);
    }

    private static List<ScheduledSend<int>> Drain(DomainSendScheduler<int> scheduler, int max = int.MaxValue)
    {
        var sends = new List<ScheduledSend<int>>();
        while (sends.Count < max && scheduler.TryNext(out var send)) sends.Add(send);
        return sends;
    }

    /// <summary>The fewest sends any window of <paramref name="window"/> consecutive sends gives <paramref name="tenant"/>, and the most.</summary>
    private static (int Min, int Max) WindowShare(IReadOnlyList<ScheduledSend<int>> sends, int tenant, int window)
    {
        var min = int.MaxValue;
        var max = 0;
        var inWindow = 0;
        for (var i = 0; i < sends.Count; i++)
        {
            if (sends[i].Tenant == tenant) inWindow++;
            if (i >= window && sends[i - window].Tenant == tenant) inWindow--;
            if (i < window - 1) continue;
            min = Math.Min(min, inWindow);
            max = Math.Max(max, inWindow);
        }
        return (min, max);
    }

    [Fact]
    public void Two_tenants_of_equal_weight_share_every_window_of_sends_evenly()
    {
        var scheduler = NewScheduler();
        var a = scheduler.AddTenant("a", 1);
        var b = scheduler.AddTenant("b", 1);
        Fill(scheduler, DeliveryLane.Bulk, a, 600);
        Fill(scheduler, DeliveryLane.Bulk, b, 600);

        var sends = Drain(scheduler);

        Assert.Equal(1200, sends.Count);
        // While both wait (all 1200 sends), each window of 20 is exactly 10 and 10.
        Assert.Equal((10, 10), WindowShare(sends, a, 20));
        Assert.Equal((10, 10), WindowShare(sends, b, 20));
    }

    [Fact]
    public void Weights_of_three_to_one_give_three_quarters_of_every_window_to_the_heavier_tenant()
    {
        var scheduler = NewScheduler();
        var heavy = scheduler.AddTenant("heavy", 3);
        var light = scheduler.AddTenant("light", 1);
        Fill(scheduler, DeliveryLane.Bulk, heavy, 900);
        Fill(scheduler, DeliveryLane.Bulk, light, 300);

        var sends = Drain(scheduler);

        Assert.Equal(1200, sends.Count);
        Assert.Equal((15, 15), WindowShare(sends, heavy, 20));
        Assert.Equal(900, sends.Count(s => s.Tenant == heavy));
    }

    [Fact]
    public void Due_transactional_mail_goes_before_a_bulk_backlog()
    {
        var scheduler = NewScheduler();
        var tenant = scheduler.AddTenant("a", 1);
        Fill(scheduler, DeliveryLane.Bulk, tenant, 1000);
        Assert.Equal(5, Drain(scheduler, 5).Count);

        scheduler.Enqueue(DeliveryLane.Transactional, tenant, -1);

        Assert.True(scheduler.TryNext(out var next));
        Assert.Equal((DeliveryLane.Transactional, -1), (next.Lane, next.Item));
    }

    [Fact]
    public void Bulk_keeps_exactly_its_floor_while_transactional_mail_never_ends()
    {
        var scheduler = NewScheduler(bulkFloor: 0.10);
        var shop = scheduler.AddTenant("shop", 1);
        var acme = scheduler.AddTenant("acme", 1);
        Fill(scheduler, DeliveryLane.Bulk, acme, 500);
        var sends = new List<ScheduledSend<int>>();
        for (var i = 0; i < 1000; i++)
        {
            // Transactional mail arrives faster than it is sent: that lane always waits.
            scheduler.Enqueue(DeliveryLane.Transactional, shop, i);
            scheduler.Enqueue(DeliveryLane.Transactional, shop, i);
            Assert.True(scheduler.TryNext(out var send));
            sends.Add(send);
        }

        Assert.Equal(100, sends.Count(s => s.Lane == DeliveryLane.Bulk));
        // Not in bursts: every window of ten sends holds exactly one bulk send.
        Assert.Equal((1, 1), WindowShare(sends, acme, 10));
    }

    [Fact]
    public void A_floor_of_zero_sends_bulk_only_when_no_transactional_mail_waits()
    {
        var scheduler = NewScheduler(bulkFloor: 0);
        var tenant = scheduler.AddTenant("a", 1);
        Fill(scheduler, DeliveryLane.Bulk, tenant, 3);
        Fill(scheduler, DeliveryLane.Transactional, tenant, 50);

        var lanes = Drain(scheduler).Select(s => s.Lane).ToList();

        Assert.Equal(Enumerable.Repeat(DeliveryLane.Transactional, 50).Concat(Enumerable.Repeat(DeliveryLane.Bulk, 3)), lanes);
    }

    [Fact]
    public void Bulk_alone_gets_every_send_and_no_credit_is_saved_for_later()
    {
        var scheduler = NewScheduler(bulkFloor: 0.5);
        var tenant = scheduler.AddTenant("a", 1);
        Fill(scheduler, DeliveryLane.Bulk, tenant, 100);
        Assert.Equal(100, Drain(scheduler).Count(s => s.Lane == DeliveryLane.Bulk));

        // Sending bulk alone earned nothing: with both lanes waiting the floor starts from zero.
        Fill(scheduler, DeliveryLane.Bulk, tenant, 10);
        Fill(scheduler, DeliveryLane.Transactional, tenant, 10);
        Assert.Equal(
            [DeliveryLane.Transactional, DeliveryLane.Bulk, DeliveryLane.Transactional, DeliveryLane.Bulk],
            Drain(scheduler, 4).Select(s => s.Lane));
    }

    [Fact]
    public void A_tenant_with_ten_messages_is_served_within_one_round_of_one_with_a_million()
    {
        var scheduler = NewScheduler();
        var big = scheduler.AddTenant("big", 1);
        var other = scheduler.AddTenant("other", 1);
        Fill(scheduler, DeliveryLane.Bulk, big, 1_000_000);
        Fill(scheduler, DeliveryLane.Bulk, other, 1_000);
        Drain(scheduler, 7);

        var small = scheduler.AddTenant("small", 1);
        Fill(scheduler, DeliveryLane.Bulk, small, 10);

        var next = Drain(scheduler, 30);
        // One round is one send of each of the three tenants.
        Assert.Contains(small, next.Take(3).Select(s => s.Tenant));
        Assert.Equal(10, next.Count(s => s.Tenant == small));
        Assert.Equal(0, scheduler.Queued(DeliveryLane.Bulk, small));
    }

    [Fact]
    public void A_tenant_over_its_domain_limit_waits_without_stalling_the_others()
    {
        var scheduler = new DomainSendScheduler<int>(0.10, _time);
        // 60 a minute with a burst window of 2 s: a burst of two, then one a second.
        var limited = scheduler.AddTenant("limited", 5, TenantRateLimiter.Create(new TenantRateLimits(60, null), TimeSpan.FromSeconds(2), _time.GetUtcNow()));
        var free = scheduler.AddTenant("free", 1);
        Fill(scheduler, DeliveryLane.Bulk, limited, 100);
        Fill(scheduler, DeliveryLane.Bulk, free, 100);

        var sends = Drain(scheduler);

        // Its burst of two, then nothing until the bucket refills; the other tenant sends all it has.
        Assert.Equal(2, sends.Count(s => s.Tenant == limited));
        Assert.Equal(100, sends.Count(s => s.Tenant == free));
        Assert.Equal(98, scheduler.Count);
        Assert.Equal(TimeSpan.FromSeconds(1), scheduler.NextAdmissionIn());

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(scheduler.TryNext(out var send));
        Assert.Equal(limited, send.Tenant);
        Assert.False(scheduler.TryNext(out _));
    }

    [Fact]
    public void A_tenant_limit_shared_by_two_domains_admits_exactly_its_tokens_over_both()
    {
        var shared = new SharedTokenBucket(TokenBucket.PerHour(10, burst: 10, _time.GetUtcNow()));
        var first = NewScheduler();
        var second = NewScheduler();
        Fill(first, DeliveryLane.Bulk, first.AddTenant("acme", 1, tenantLimit: shared), 50);
        Fill(second, DeliveryLane.Bulk, second.AddTenant("acme", 1, tenantLimit: shared), 50);
        var other = second.AddTenant("other", 1);
        Fill(second, DeliveryLane.Bulk, other, 5);

        var sent = 0;
        for (var i = 0; i < 100; i++)
        {
            if (first.TryNext(out _)) sent++;
            if (second.TryNext(out var send) && send.Tenant != other) sent++;
        }

        Assert.Equal(10, sent);
        Assert.Equal(0, second.Queued(DeliveryLane.Bulk, other));
    }

    [Fact]
    public void A_tenant_refused_by_its_domain_limit_spends_no_token_of_its_shared_limit()
    {
        var shared = new SharedTokenBucket(TokenBucket.PerHour(10, burst: 10, _time.GetUtcNow()));
        var scheduler = NewScheduler();
        var tenant = scheduler.AddTenant("acme", 1, TenantRateLimiter.Create(new TenantRateLimits(1, null), TimeSpan.FromSeconds(10), _time.GetUtcNow()), shared);
        Fill(scheduler, DeliveryLane.Bulk, tenant, 5);

        Assert.Single(Drain(scheduler));

        Assert.Equal(9, shared.Available(_time.GetUtcNow()));
    }

    [Theory]
    // The minute's limit binds: its bucket holds one burst window (a minute) of 10.
    [InlineData(10, 100_000, 10, 20)]
    // The hour's binds: a minute's worth of 60 an hour is one, and one more a minute later.
    [InlineData(10, 60, 1, 2)]
    public void A_tenant_limited_per_minute_and_per_hour_at_a_domain_keeps_within_both(int perMinute, int perHour, int first, int afterAMinute)
    {
        var scheduler = NewScheduler();
        var limiter = TenantRateLimiter.Create(new TenantRateLimits(perMinute, perHour), TimeSpan.FromMinutes(1), _time.GetUtcNow());
        var tenant = scheduler.AddTenant("acme", 1, limiter);
        Fill(scheduler, DeliveryLane.Bulk, tenant, 1000);

        Assert.Equal(first, Drain(scheduler).Count);
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(afterAMinute, first + Drain(scheduler).Count);
    }

    [Fact]
    public void Unlimited_tenant_limits_need_no_limiter()
    {
        Assert.Null(TenantRateLimiter.Create(new TenantRateLimits(null, null), TimeSpan.FromSeconds(10), _time.GetUtcNow()));
    }

    [Fact]
    public void Every_item_comes_out_once_in_its_own_queues_order()
    {
        var property = Prop.ForAll(
            Gen.ArrayOf(Gen.Choose(0, 7).Select(x => (Tenant: x / 2, Lane: x % 2 == 0 ? DeliveryLane.Bulk : DeliveryLane.Transactional))).ToArbitrary(),
            Gen.Choose(0, 50).ToArbitrary(),
            (arrivals, floorPercent) =>
            {
                var scheduler = new DomainSendScheduler<int>(floorPercent / 100.0, new ManualTimeProvider());
                for (var t = 0; t < 4; t++) scheduler.AddTenant($"t{t}", t + 1);
                var expected = new Dictionary<(DeliveryLane, int), Queue<int>>();
                var id = 0;
                var sent = 0;
                foreach (var (tenant, lane) in arrivals)
                {
                    scheduler.Enqueue(lane, tenant, id);
                    if (!expected.TryGetValue((lane, tenant), out var queue)) expected[(lane, tenant)] = queue = new Queue<int>();
                    queue.Enqueue(id++);
                    // Interleave sends with arrivals, as a domain does.
                    if (id % 3 == 0 && scheduler.TryNext(out var early))
                    {
                        if (expected[(early.Lane, early.Tenant)].Dequeue() != early.Item) return false;
                        sent++;
                    }
                }
                while (scheduler.TryNext(out var send))
                {
                    if (expected[(send.Lane, send.Tenant)].Dequeue() != send.Item) return false;
                    sent++;
                }
                return sent == id && scheduler.Count == 0 && expected.Values.All(q => q.Count == 0);
            });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), property);
    }

    [Fact]
    public void While_every_tenant_waits_each_round_gives_each_exactly_its_weight()
    {
        var property = Prop.ForAll(
            Gen.ArrayOf(Gen.Choose(1, 6)).Where(w => w.Length is > 0 and <= 8).ToArbitrary(),
            Gen.Choose(1, 20).ToArbitrary(),
            (weights, rounds) =>
            {
                var scheduler = new DomainSendScheduler<int>(0.1, new ManualTimeProvider());
                var round = weights.Sum();
                for (var t = 0; t < weights.Length; t++)
                {
                    scheduler.AddTenant($"t{t}", weights[t]);
                    Fill(scheduler, DeliveryLane.Bulk, t, weights[t] * (rounds + 1));
                }
                var sends = Drain(scheduler, round * rounds);
                return Enumerable.Range(0, weights.Length).All(t => sends.Count(s => s.Tenant == t) == weights[t] * rounds);
            });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(200), property);
    }

    [Fact]
    public void A_decision_allocates_nothing()
    {
        var scheduler = NewScheduler();
        var tenants = Enumerable.Range(0, 50).Select(t => scheduler.AddTenant($"t{t}", 1 + t % 3)).ToArray();
        foreach (var t in tenants)
        {
            Fill(scheduler, DeliveryLane.Bulk, t, 2_000);
            Fill(scheduler, DeliveryLane.Transactional, t, 200);
        }

        // First calls may run one-time initialisation; the decisions after them are what is measured.
        for (var i = 0; i < 1_000; i++) Assert.True(scheduler.TryNext(out _));

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 50_000; i++) Assert.True(scheduler.TryNext(out _));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
    }

    [Theory]
    [InlineData(-0.01)]
    [InlineData(0.51)]
    public void A_floor_outside_zero_to_a_half_is_refused(double floor)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DomainSendScheduler<int>(floor, TimeProvider.System));
    }
}
