namespace MtaCluster.Actors.Tests;

public sealed class TimerTests : IAsyncLifetime
{
    private readonly CountingTimeProvider _time = new();
    private readonly ActorSystem _system;

    public TimerTests() => _system = ActorSystem.Create("timers", new ActorSystemOptions { TimeProvider = _time });

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _system.TerminateAsync();

    [Fact]
    public async Task A_single_timer_delivers_its_message_once_to_self()
    {
        var probe = new TestProbe();
        var actor = _system.ActorOf(Props.Create(() => new TimerActor(probe)));
        actor.Tell(new StartSingle("once", "tick", TimeSpan.FromMilliseconds(50)));

        Assert.Equal("tick", await probe.ExpectMsgAsync<string>());
        await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
        Assert.False(await actor.Ask<bool>(new IsActive("once"), TimeSpan.FromSeconds(5)));
        await NoTimerLeftAsync();
    }

    [Fact]
    public async Task A_periodic_timer_repeats_until_cancelled_and_nothing_queued_before_the_cancel_is_delivered()
    {
        var probe = new TestProbe();
        var actor = _system.ActorOf(Props.Create(() => new TimerActor(probe)));
        actor.Tell(new StartPeriodic("every", "tick", TimeSpan.FromMilliseconds(20)));

        await probe.ExpectMsgsAsync<string>(3);
        Assert.True(await actor.Ask<bool>(new IsActive("every"), TimeSpan.FromSeconds(5)));

        await actor.Ask<bool>(new CancelTimer("every"), TimeSpan.FromSeconds(5));
        probe.Drain();
        await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(150));
        Assert.False(await actor.Ask<bool>(new IsActive("every"), TimeSpan.FromSeconds(5)));
        await NoTimerLeftAsync();
    }

    [Fact]
    public async Task Starting_a_timer_with_a_key_in_use_replaces_it()
    {
        var probe = new TestProbe();
        var actor = _system.ActorOf(Props.Create(() => new TimerActor(probe)));
        actor.Tell(new StartSingle("key", "first", TimeSpan.FromMilliseconds(100)));
        actor.Tell(new StartSingle("key", "second", TimeSpan.FromMilliseconds(150)));

        Assert.Equal("second", await probe.ExpectMsgAsync<string>());
        await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task Once_and_periodic_timers_are_cancelled_when_the_actor_stops()
    {
        var probe = new TestProbe();
        var actor = _system.ActorOf(Props.Create(() => new TimerActor(probe)));
        actor.Tell(new StartPeriodic("every", "tick", TimeSpan.FromMilliseconds(20)));
        actor.Tell(new StartSingle("once", "late", TimeSpan.FromSeconds(30)));
        await probe.ExpectMsgsAsync<string>(2);
        Assert.Equal(2, _time.ActiveTimers);

        await _system.StopAsync(actor);

        await NoTimerLeftAsync();
        probe.Drain();
        var deadLetters = _system.DeadLetterCount;
        await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
        Assert.Equal(deadLetters, _system.DeadLetterCount);
    }

    /// <summary>An ask's own timeout timer is released just after its reply, so allow it a moment.</summary>
    private async Task NoTimerLeftAsync()
    {
        for (var i = 0; i < 100 && _time.ActiveTimers != 0; i++)
        {
            await Task.Delay(10);
        }

        Assert.Equal(0, _time.ActiveTimers);
    }

    private sealed record StartSingle(string Key, string Message, TimeSpan Delay);

    private sealed record StartPeriodic(string Key, string Message, TimeSpan Interval);

    private sealed record CancelTimer(string Key);

    private sealed record IsActive(string Key);

    private sealed class TimerActor(IActorRef probe) : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case StartSingle single:
                    Timers.StartSingleTimer(single.Key, single.Message, single.Delay);
                    break;
                case StartPeriodic periodic:
                    Timers.StartPeriodicTimer(periodic.Key, periodic.Message, periodic.Interval);
                    break;
                case CancelTimer cancel:
                    Timers.Cancel(cancel.Key);
                    Sender.Tell(true);
                    break;
                case IsActive active:
                    Sender.Tell(Timers.IsTimerActive(active.Key));
                    break;
                case string tick:
                    probe.Tell(tick);
                    break;
            }
        }
    }
}
