using System.Collections.Concurrent;
using MtaCluster.Actors;
using MtaCluster.Delivery.Domains;

namespace MtaCluster.Delivery.Tests;

/// <summary>
/// The node-wide cap on active domains: the scheduler releases wakes only while fewer domains than
/// the cap hold a slot, and hands freed slots to waiting domains fairly.
/// </summary>
public sealed class DomainWakeSchedulerTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Past = DateTimeOffset.UtcNow.AddHours(-1);
    private readonly ActorSystem _system = ActorSystem.Create("scheduler-test");
    private readonly ConcurrentQueue<string> _woken = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _system.TerminateAsync();

    /// <summary>Stands in for the shard region: remembers every domain it is told to wake.</summary>
    private sealed class WakeRecorder(ConcurrentQueue<string> woken) : ActorBase
    {
        protected override ValueTask OnReceiveAsync(object message)
        {
            if (message is WakeDomain wake) woken.Enqueue(wake.Domain);
            return default;
        }
    }

    private IActorRef Start(int maxActive)
    {
        var domains = _system.ActorOf(Props.Create(() => new WakeRecorder(_woken)), "domains");
        return _system.ActorOf(Props.Create(() => new DomainWakeScheduler(domains, TimeProvider.System, maxActive)), "scheduler");
    }

    private static Task<ScheduledWakes> StateAsync(IActorRef scheduler) =>
        scheduler.Ask<ScheduledWakes>(GetScheduledWakes.Instance, TimeSpan.FromSeconds(10));

    /// <summary>Waits until the scheduler has released <paramref name="count"/> wakes in all, then returns them in order.</summary>
    private async Task<string[]> WokenAsync(int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (_woken.Count < count)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{_woken.Count} of {count} wakes: {string.Join(",", _woken)}");
            await Task.Delay(10);
        }
        return _woken.ToArray();
    }

    [Fact]
    public async Task Due_domains_past_the_cap_wait_and_are_woken_in_due_order_as_active_ones_go_idle()
    {
        var scheduler = Start(maxActive: 3);
        // Scheduled out of order; due order is d0 (earliest) .. d9.
        foreach (var i in new[] { 5, 2, 9, 0, 7, 1, 8, 3, 6, 4 })
        {
            scheduler.Tell(new ScheduleWake($"d{i}.test", Past.AddSeconds(i)));
        }

        // The tick that releases them may run before all ten arrived, so which three got the slots
        // depends on timing; that only three did, and the rest wait, does not.
        await PollStateAsync(scheduler, s => s.Active.Count + s.Waiting == 10);
        var state = await StateAsync(scheduler);
        Assert.Equal(3, state.Active.Count);
        Assert.Equal(7, state.Waiting);
        var first = await WokenAsync(3);
        Assert.Equal(first.Order(), state.Active.Order());

        // Each freed slot goes to the earliest due of those waiting.
        var expected = Enumerable.Range(0, 10).Select(i => $"d{i}.test").Except(first).ToList();
        for (var n = 0; n < 7; n++)
        {
            scheduler.Tell(new DomainIdle(first.Length > n ? first[n] : expected[n - first.Length]));
            var woken = await WokenAsync(3 + n + 1);
            Assert.Equal(expected[n], woken[^1]);
        }
        state = await StateAsync(scheduler);
        Assert.Equal(3, state.Active.Count);
        Assert.Equal(0, state.Waiting);
    }

    [Fact]
    public async Task Under_the_cap_new_work_wakes_at_once_and_an_active_domain_is_woken_without_a_new_slot()
    {
        var scheduler = Start(maxActive: 2);
        scheduler.Tell(new WakeForNewWork("a.test"));
        scheduler.Tell(new WakeForNewWork("a.test"));
        scheduler.Tell(new WakeForNewWork("b.test"));
        Assert.Equal(["a.test", "a.test", "b.test"], await WokenAsync(3));
        var state = await StateAsync(scheduler);
        Assert.Equal(["a.test", "b.test"], state.Active.Order());
        Assert.Equal(0, state.Waiting);

        // At the cap: a third domain waits, and only once, however often its mail arrives.
        scheduler.Tell(new WakeForNewWork("c.test"));
        scheduler.Tell(new WakeForNewWork("c.test"));
        scheduler.Tell(new ScheduleWake("c.test", Past));
        await PollStateAsync(scheduler, s => s.Waiting == 1 && s.Due.Count == 0);
        Assert.Equal(3, _woken.Count);

        scheduler.Tell(new DomainIdle("a.test"));
        Assert.Equal("c.test", (await WokenAsync(4))[^1]);
        // An idle report from a domain without a slot frees nothing.
        scheduler.Tell(new DomainIdle("a.test"));
        state = await StateAsync(scheduler);
        Assert.Equal(["b.test", "c.test"], state.Active.Order());
    }

    [Fact]
    public async Task New_mail_is_not_stuck_behind_a_backlog_freed_slots_alternate_between_new_and_due()
    {
        var scheduler = Start(maxActive: 1);
        scheduler.Tell(new WakeForNewWork("busy.test"));
        await WokenAsync(1);
        for (var i = 0; i < 5; i++) scheduler.Tell(new ScheduleWake($"backlog{i}.test", Past.AddSeconds(i)));
        await PollStateAsync(scheduler, s => s.Waiting == 5);
        scheduler.Tell(new WakeForNewWork("fresh1.test"));
        scheduler.Tell(new WakeForNewWork("fresh2.test"));
        await PollStateAsync(scheduler, s => s.Waiting == 7);

        var last = "busy.test";
        for (var n = 0; n < 7; n++)
        {
            scheduler.Tell(new DomainIdle(last));
            last = (await WokenAsync(2 + n))[^1];
        }
        Assert.Equal(
            ["busy.test", "backlog0.test", "fresh1.test", "backlog1.test", "fresh2.test", "backlog2.test", "backlog3.test", "backlog4.test"],
            _woken.ToArray());
    }

    private static async Task PollStateAsync(IActorRef scheduler, Func<ScheduledWakes, bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            var state = await StateAsync(scheduler);
            if (condition(state)) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"active {state.Active.Count}, waiting {state.Waiting}, due {state.Due.Count}");
            await Task.Delay(10);
        }
    }
}
