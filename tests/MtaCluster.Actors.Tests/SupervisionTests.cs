using System.Diagnostics;

namespace MtaCluster.Actors.Tests;

public sealed class SupervisionTests : IAsyncLifetime
{
    private readonly ActorSystem _system = ActorSystem.Create("supervision");

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _system.TerminateAsync();

    [Fact]
    public async Task A_failing_handler_restarts_the_actor_from_its_factory_with_exponential_backoff()
    {
        var probe = new TestProbe();
        var strategy = new SupervisorStrategy
        {
            MinBackoff = TimeSpan.FromMilliseconds(100),
            MaxBackoff = TimeSpan.FromSeconds(5),
            MaxNrOfRetries = 10,
            RandomFactor = 0,
        };
        var instances = 0;
        var actor = _system.ActorOf(Props.Create(() => new Crashy(Interlocked.Increment(ref instances), probe)).WithSupervisorStrategy(strategy));
        Assert.Equal(1, (await probe.ExpectMsgAsync<Started>()).Instance);

        actor.Tell("inc");
        actor.Tell("inc");
        Assert.Equal(2, await actor.Ask<int>("count", TimeSpan.FromSeconds(5)));

        var expectedBackoffMs = new[] { 100, 200, 400 };
        for (var i = 0; i < expectedBackoffMs.Length; i++)
        {
            var clock = Stopwatch.StartNew();
            actor.Tell("boom");
            actor.Tell("inc");
            Assert.Equal(i + 1, (await probe.ExpectMsgAsync<Stopped>()).Instance);
            var started = await probe.ExpectMsgAsync<Started>();
            Assert.Equal(i + 2, started.Instance);
            Assert.True(clock.ElapsedMilliseconds >= expectedBackoffMs[i] - 10, $"restart {i + 1} came after {clock.ElapsedMilliseconds} ms, before its {expectedBackoffMs[i]} ms backoff");

            // A new instance: state is fresh, and the message queued during the backoff was kept.
            Assert.Equal(1, await actor.Ask<int>("count", TimeSpan.FromSeconds(5)));
        }
    }

    [Fact]
    public async Task More_than_N_restarts_within_the_window_stops_the_actor_and_reports_it()
    {
        var probe = new TestProbe();
        var gaveUp = new TestProbe("gave-up");
        _system.EventStream.Subscribe<ActorGaveUp>(gaveUp);
        var strategy = new SupervisorStrategy
        {
            MinBackoff = TimeSpan.FromMilliseconds(1),
            MaxNrOfRetries = 2,
            WithinTimeRange = TimeSpan.FromMinutes(1),
            RandomFactor = 0,
        };
        var instances = 0;
        var actor = _system.ActorOf(Props.Create(() => new Crashy(Interlocked.Increment(ref instances), probe)).WithSupervisorStrategy(strategy), "crashy-give-up");
        var watcher = _system.ActorOf(Props.Create(() => new Watcher(probe)));
        watcher.Tell(new WatchIt(actor));
        await watcher.Ask<string>("sync", TimeSpan.FromSeconds(5));

        actor.Tell("boom");
        actor.Tell("boom");
        actor.Tell("boom");

        var report = await gaveUp.ExpectMsgAsync<ActorGaveUp>();
        Assert.Same(actor, report.Actor);
        Assert.Equal(2, report.Restarts);
        Assert.IsType<InvalidOperationException>(report.Cause);
        var terminated = await WaitForAsync<Terminated>(probe);
        Assert.Same(actor, terminated.ActorRef);
        Assert.Equal(3, instances);

        var before = _system.DeadLetterCount;
        actor.Tell("inc");
        Assert.Equal(before + 1, _system.DeadLetterCount);
    }

    [Fact]
    public async Task Resume_keeps_the_instance_and_its_state()
    {
        var probe = new TestProbe();
        var instances = 0;
        var strategy = SupervisorStrategy.Default with { Decider = _ => Directive.Resume };
        var actor = _system.ActorOf(Props.Create(() => new Crashy(Interlocked.Increment(ref instances), probe)).WithSupervisorStrategy(strategy));
        actor.Tell("inc");
        actor.Tell("boom");
        actor.Tell("inc");
        Assert.Equal(2, await actor.Ask<int>("count", TimeSpan.FromSeconds(5)));
        Assert.Equal(1, instances);
    }

    [Fact]
    public async Task The_stopping_strategy_stops_on_the_first_failure()
    {
        var probe = new TestProbe();
        var actor = _system.ActorOf(Props.Create(() => new Crashy(1, probe)).WithSupervisorStrategy(SupervisorStrategy.StoppingStrategy));
        await probe.ExpectMsgAsync<Started>();
        actor.Tell("boom");
        Assert.Equal(1, (await probe.ExpectMsgAsync<Stopped>()).Instance);
        await Assert.ThrowsAsync<AskTimeoutException>(() => actor.Ask<int>("count", TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task A_failing_PreStart_is_retried_like_a_failing_handler()
    {
        var probe = new TestProbe();
        var attempts = 0;
        var strategy = new SupervisorStrategy { MinBackoff = TimeSpan.FromMilliseconds(1), RandomFactor = 0 };
        var actor = _system.ActorOf(Props.Create(() => new FailsToStart(Interlocked.Increment(ref attempts))).WithSupervisorStrategy(strategy));
        Assert.Equal(3, await actor.Ask<int>("attempt", TimeSpan.FromSeconds(5)));
    }

    private static async Task<T> WaitForAsync<T>(TestProbe probe)
    {
        while (true)
        {
            var message = await probe.ExpectMsgAsync<object>();
            if (message is T wanted)
            {
                return wanted;
            }
        }
    }

    private sealed record Started(int Instance);

    private sealed record Stopped(int Instance);

    private sealed record WatchIt(IActorRef Subject);

    private sealed class Crashy(int instance, IActorRef probe) : UntypedActor
    {
        private int _count;

        protected override ValueTask PreStartAsync()
        {
            probe.Tell(new Started(instance));
            return default;
        }

        protected override ValueTask PostStopAsync()
        {
            probe.Tell(new Stopped(instance));
            return default;
        }

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case "boom":
                    throw new InvalidOperationException("boom");
                case "inc":
                    _count++;
                    break;
                case "count":
                    Sender.Tell(_count);
                    break;
            }
        }
    }

    private sealed class FailsToStart(int attempt) : UntypedActor
    {
        protected override ValueTask PreStartAsync() =>
            attempt < 3 ? throw new InvalidOperationException("not yet") : default;

        protected override void OnReceive(object message) => Sender.Tell(attempt);
    }

    private sealed class Watcher(IActorRef probe) : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case WatchIt watch:
                    Context.Watch(watch.Subject);
                    break;
                case Terminated terminated:
                    probe.Tell(terminated);
                    break;
                case "sync":
                    Sender.Tell("ok");
                    break;
            }
        }
    }
}
