using MtaCluster.Delivery.Throttling;
using MtaCluster.Testing;

namespace MtaCluster.Delivery.Tests;

public sealed class ConnectionBudgetTests
{
    private sealed class Domain
    {
        public int Wakes;

        public ConnectionBudget.Waiter Waiter { get; }

        public Domain() => Waiter = new ConnectionBudget.Waiter(() => Interlocked.Increment(ref Wakes));
    }

    [Fact]
    public void Waiting_domains_are_woken_one_per_freed_slot_in_the_order_they_asked()
    {
        var budget = new ConnectionBudget(1, new ManualTimeProvider());
        var (a, b, c) = (new Domain(), new Domain(), new Domain());
        Assert.True(budget.TryAcquire(a.Waiter));
        Assert.False(budget.TryAcquire(b.Waiter));
        Assert.False(budget.TryAcquire(c.Waiter));
        Assert.False(budget.TryAcquire(b.Waiter));
        Assert.Equal(2, budget.Waiting);

        budget.Release();
        Assert.Equal((1, 0), (b.Wakes, c.Wakes));
        // The freed slot is set aside for the first in line: a newcomer, or the next in line, cannot take it.
        Assert.False(budget.TryAcquire(new Domain().Waiter));
        Assert.False(budget.TryAcquire(c.Waiter));
        Assert.True(budget.TryAcquire(b.Waiter));

        budget.Release();
        Assert.Equal(1, c.Wakes);
        Assert.True(budget.TryAcquire(c.Waiter));
        Assert.Equal(1, budget.InUse);
    }

    [Fact]
    public void A_slot_set_aside_for_a_domain_that_no_longer_wants_it_goes_to_the_next()
    {
        var budget = new ConnectionBudget(1, new ManualTimeProvider());
        var (a, b, c) = (new Domain(), new Domain(), new Domain());
        Assert.True(budget.TryAcquire(a.Waiter));
        Assert.False(budget.TryAcquire(b.Waiter));
        Assert.False(budget.TryAcquire(c.Waiter));
        budget.Release();
        Assert.Equal(1, b.Wakes);
        budget.Withdraw(b.Waiter);
        Assert.Equal(1, c.Wakes);
        Assert.True(budget.TryAcquire(c.Waiter));
        // Withdrawing twice, or when not waiting, changes nothing.
        budget.Withdraw(b.Waiter);
        budget.Withdraw(a.Waiter);
        Assert.Equal(1, budget.InUse);
        Assert.Equal(0, budget.Waiting);
    }

    [Fact]
    public void A_local_resource_shortage_halves_the_limit_pauses_new_connections_then_recovers_step_by_step()
    {
        var clock = new ManualTimeProvider();
        var budget = new ConnectionBudget(16, clock);
        var domain = new Domain();
        for (var i = 0; i < 10; i++) Assert.True(budget.TryAcquire(domain.Waiter));

        budget.OnLocalResourceShortage();
        Assert.Equal(5, budget.Limit);
        Assert.Equal(1, budget.Shortages);
        for (var i = 0; i < 8; i++) budget.Release();
        // Room under the new limit, but the cool-down holds every new connection: no retry at once.
        Assert.False(budget.TryAcquire(domain.Waiter));

        clock.Advance(ConnectionBudget.FirstCoolDown);
        Assert.True(budget.TryAcquire(domain.Waiter));
        Assert.True(budget.TryAcquire(domain.Waiter));
        Assert.True(budget.TryAcquire(domain.Waiter));
        Assert.False(budget.TryAcquire(domain.Waiter));
        Assert.Equal(5, budget.InUse);

        // Back up by an eighth of the capacity per quiet interval, to the capacity and no further.
        clock.Advance(ConnectionBudget.RecoveryInterval);
        Assert.Equal(7, budget.Limit);
        clock.Advance(ConnectionBudget.RecoveryInterval * 10);
        Assert.Equal(16, budget.Limit);
    }

    [Fact]
    public void Repeated_shortages_lengthen_the_pause_and_a_connection_that_opens_resets_it()
    {
        var clock = new ManualTimeProvider();
        var budget = new ConnectionBudget(4, clock);
        var domain = new Domain();
        Assert.True(budget.TryAcquire(domain.Waiter));
        budget.OnLocalResourceShortage();
        budget.Release();
        clock.Advance(ConnectionBudget.FirstCoolDown);
        Assert.True(budget.TryAcquire(domain.Waiter));
        budget.OnLocalResourceShortage();
        budget.Release();
        Assert.Equal(1, budget.Limit);
        clock.Advance(ConnectionBudget.FirstCoolDown);
        Assert.False(budget.TryAcquire(domain.Waiter));
        budget.Withdraw(domain.Waiter);
        clock.Advance(ConnectionBudget.FirstCoolDown);
        Assert.True(budget.TryAcquire(domain.Waiter));

        budget.OnConnected();
        budget.OnLocalResourceShortage();
        budget.Release();
        clock.Advance(ConnectionBudget.FirstCoolDown);
        Assert.True(budget.TryAcquire(domain.Waiter));
    }

    [Fact]
    public async Task A_domain_waiting_out_a_cool_down_is_woken_when_it_ends_without_any_release()
    {
        var clock = new ManualTimeProvider();
        var budget = new ConnectionBudget(2, clock);
        var (a, b) = (new Domain(), new Domain());
        Assert.True(budget.TryAcquire(a.Waiter));
        budget.OnLocalResourceShortage();
        budget.Release();
        Assert.False(budget.TryAcquire(b.Waiter));
        Assert.Equal(0, b.Wakes);

        // The budget's timer runs on the real clock; the cool-down is judged by the test's clock, so it is over by then.
        clock.Advance(ConnectionBudget.FirstCoolDown);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (Volatile.Read(ref b.Wakes) == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "not woken");
            await Task.Delay(20);
        }
        Assert.True(budget.TryAcquire(b.Waiter));
    }

    [Theory]
    [InlineData(1000, null, 1000)]
    [InlineData(1000, 1024L, 512)]
    [InlineData(1000, 1048576L, 1000)]
    [InlineData(10, 1L, 1)]
    public void The_capacity_is_the_setting_but_at_most_half_the_descriptor_limit(int configured, long? descriptors, int expected) =>
        Assert.Equal(expected, ConnectionBudget.CapacityFor(configured, descriptors));

    [Fact]
    public void The_descriptor_limit_is_the_soft_open_files_limit_the_kernel_reports()
    {
        Assert.True(OperatingSystem.IsLinux(), "read on Linux only");
        // "Max open files            20000                20000                files"
        var line = File.ReadAllLines("/proc/self/limits").Single(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        var soft = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        Assert.Equal(soft == "unlimited" ? null : long.Parse(soft), DescriptorLimit.Read());
    }
}
