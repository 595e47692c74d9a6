using System.Collections.Concurrent;

namespace MtaCluster.Actors.Tests;

public sealed class LifecycleTests : IAsyncLifetime
{
    private readonly ActorSystem _system = ActorSystem.Create("lifecycle");

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _system.TerminateAsync();

    [Fact]
    public async Task A_watcher_gets_Terminated_when_the_watched_actor_stops()
    {
        var probe = new TestProbe();
        var target = _system.ActorOf(Props.Create(() => new Quiet()));
        var watcher = _system.ActorOf(Props.Create(() => new Watcher(probe)));
        await watcher.Ask<string>(new Command("watch", target), TimeSpan.FromSeconds(5));

        await _system.StopAsync(target);

        Assert.Same(target, (await probe.ExpectMsgAsync<Terminated>()).ActorRef);
    }

    [Fact]
    public async Task Watching_an_actor_that_already_stopped_gives_Terminated_at_once()
    {
        var probe = new TestProbe();
        var target = _system.ActorOf(Props.Create(() => new Quiet()));
        await _system.StopAsync(target);
        var watcher = _system.ActorOf(Props.Create(() => new Watcher(probe)));
        watcher.Tell(new Command("watch", target));
        Assert.Same(target, (await probe.ExpectMsgAsync<Terminated>()).ActorRef);
    }

    [Fact]
    public async Task After_Unwatch_no_Terminated_is_delivered()
    {
        var probe = new TestProbe();
        var target = _system.ActorOf(Props.Create(() => new Quiet()));
        var watcher = _system.ActorOf(Props.Create(() => new Watcher(probe)));
        await watcher.Ask<string>(new Command("watch", target), TimeSpan.FromSeconds(5));
        await watcher.Ask<string>(new Command("unwatch", target), TimeSpan.FromSeconds(5));

        await _system.StopAsync(target);

        await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public async Task Stopping_cancels_the_token_of_a_long_running_handler_and_runs_PostStop()
    {
        var probe = new TestProbe();
        var actor = _system.ActorOf(Props.Create(() => new LongRunning(probe)));
        actor.Tell("run");
        Assert.Equal("running", await probe.ExpectMsgAsync<string>());

        var stop = _system.StopAsync(actor);
        Assert.Same(stop, await Task.WhenAny(stop, Task.Delay(TimeSpan.FromSeconds(10))));

        Assert.Equal("cancelled", await probe.ExpectMsgAsync<string>());
        Assert.Equal("post-stop", await probe.ExpectMsgAsync<string>());
    }

    [Fact]
    public async Task PoisonPill_stops_the_actor_after_the_messages_sent_before_it()
    {
        var probe = new TestProbe();
        var actor = _system.ActorOf(Props.Create(() => new Recorder(probe)));
        actor.Tell("a");
        actor.Tell("b");
        actor.Tell(PoisonPill.Instance);
        actor.Tell("after");

        Assert.Equal(["a", "b", "post-stop"], await probe.ExpectMsgsAsync<string>(3));
        await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task Terminating_the_system_stops_children_before_their_parents()
    {
        var system = ActorSystem.Create("terminate-order");
        var order = new ConcurrentQueue<string>();
        var probe = new TestProbe();
        system.ActorOf(Props.Create(() => new Parent(order, probe)), "parent");
        Assert.Equal(["child-started", "grandchild-started"], (await probe.ExpectMsgsAsync<string>(2)).Order());

        await system.TerminateAsync();

        Assert.Equal(["grandchild", "child", "parent"], order.ToArray());
        Assert.True(system.WhenTerminated.IsCompletedSuccessfully);
        Assert.Throws<InvalidOperationException>(() => system.ActorOf(Props.Create(() => new Quiet())));
    }

    [Fact]
    public async Task Children_are_reachable_by_name_and_a_stopped_child_is_removed()
    {
        var probe = new TestProbe();
        var parent = _system.ActorOf(Props.Create(() => new Parent(new ConcurrentQueue<string>(), probe)));
        Assert.Equal("child-started", await probe.ExpectMsgAsync<string>());
        var child = await parent.Ask<IActorRef>("child", TimeSpan.FromSeconds(5));
        Assert.EndsWith("/child", child.Path);

        await _system.StopAsync(child);

        Assert.Null(await parent.Ask<object>("child-or-none", TimeSpan.FromSeconds(5)) as IActorRef);
    }

    [Fact]
    public void An_actor_cannot_be_created_with_new()
    {
        Assert.Throws<InvalidOperationException>(() => new Quiet());
    }

    private sealed record Command(string Verb, IActorRef Subject);

    private sealed class Quiet : UntypedActor
    {
        protected override void OnReceive(object message)
        {
        }
    }

    private sealed class Watcher(IActorRef probe) : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case Command { Verb: "watch" } watch:
                    Context.Watch(watch.Subject);
                    Sender.Tell("ok");
                    break;
                case Command { Verb: "unwatch" } unwatch:
                    Context.Unwatch(unwatch.Subject);
                    Sender.Tell("ok");
                    break;
                case Terminated terminated:
                    probe.Tell(terminated);
                    break;
            }
        }
    }

    private sealed class LongRunning(IActorRef probe) : ActorBase
    {
        protected override async ValueTask OnReceiveAsync(object message)
        {
            probe.Tell("running");
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, Context.StoppingToken);
            }
            catch (OperationCanceledException)
            {
                probe.Tell("cancelled");
                throw;
            }
        }

        protected override ValueTask PostStopAsync()
        {
            probe.Tell("post-stop");
            return default;
        }
    }

    private sealed class Recorder(IActorRef probe) : UntypedActor
    {
        protected override void OnReceive(object message) => probe.Tell(message);

        protected override ValueTask PostStopAsync()
        {
            probe.Tell("post-stop");
            return default;
        }
    }

    private sealed class Parent(ConcurrentQueue<string> order, IActorRef probe) : UntypedActor
    {
        protected override ValueTask PreStartAsync()
        {
            Context.ActorOf(Props.Create(() => new Child(order, probe)), "child");
            return default;
        }

        protected override void OnReceive(object message)
        {
            if (message is "child")
            {
                Sender.Tell(Context.Child("child")!);
            }
            else if (message is "child-or-none")
            {
                Sender.Tell((object?)Context.Child("child") ?? "none");
            }
        }

        protected override async ValueTask PostStopAsync()
        {
            await Task.Yield();
            order.Enqueue("parent");
        }
    }

    private sealed class Child(ConcurrentQueue<string> order, IActorRef probe) : UntypedActor
    {
        protected override ValueTask PreStartAsync()
        {
            Context.ActorOf(Props.Create(() => new GrandChild(order, probe)), "grandchild");
            probe.Tell("child-started");
            return default;
        }

        protected override void OnReceive(object message)
        {
        }

        protected override async ValueTask PostStopAsync()
        {
            await Task.Delay(50);
            order.Enqueue("child");
        }
    }

    private sealed class GrandChild(ConcurrentQueue<string> order, IActorRef probe) : UntypedActor
    {
        protected override ValueTask PreStartAsync()
        {
            probe.Tell("grandchild-started");
            return default;
        }

        protected override void OnReceive(object message)
        {
        }

        protected override async ValueTask PostStopAsync()
        {
            await Task.Delay(100);
            order.Enqueue("grandchild");
        }
    }
}
