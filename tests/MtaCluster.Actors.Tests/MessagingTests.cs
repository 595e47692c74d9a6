namespace MtaCluster.Actors.Tests;

public sealed class MessagingTests : IAsyncLifetime
{
    private readonly ActorSystem _system = ActorSystem.Create("messaging");

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _system.TerminateAsync();

    [Fact]
    public async Task Messages_from_each_sender_arrive_in_the_order_sent()
    {
        const int senders = 8;
        const int perSender = 20_000;
        var done = new TestProbe();
        var actor = _system.ActorOf(Props.Create(() => new SequenceChecker(senders * perSender, done)));

        await Task.WhenAll(Enumerable.Range(0, senders).Select(s => Task.Run(() =>
        {
            for (var i = 0; i < perSender; i++)
            {
                actor.Tell(new Sequenced(s, i));
            }
        })));

        var result = await done.ExpectMsgAsync<SequenceResult>(TimeSpan.FromSeconds(30));
        Assert.Equal(0, result.OutOfOrder);
        Assert.Equal(senders * perSender, result.Received);
    }

    [Fact]
    public async Task Handler_calls_of_one_actor_never_overlap_under_load_from_many_threads()
    {
        const int threads = 8;
        const int perThread = 25_000;
        var done = new TestProbe();
        var tracker = new OverlapTracker();
        var actor = _system.ActorOf(Props.Create(() => new OverlapActor(tracker, threads * perThread, done)));

        await Task.WhenAll(Enumerable.Range(0, threads).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < perThread; i++)
            {
                actor.Tell(i);
            }
        })));

        await done.ExpectMsgAsync<string>(TimeSpan.FromSeconds(30));
        Assert.Equal(1, tracker.MaxInside);
        Assert.Equal(threads * perThread, tracker.Calls);
        Assert.True(tracker.AsyncCalls > 0, "the test must also exercise handlers that really await");
    }

    [Fact]
    public async Task Ask_returns_the_reply()
    {
        var echo = _system.ActorOf(Props.Create(() => new EchoActor()));
        var reply = await echo.Ask<string>("hello", TimeSpan.FromSeconds(5));
        Assert.Equal("echo:hello", reply);
    }

    [Fact]
    public async Task Ask_with_a_failure_reply_throws_its_exception()
    {
        var echo = _system.ActorOf(Props.Create(() => new EchoActor()));
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => echo.Ask<string>("fail", TimeSpan.FromSeconds(5)));
        Assert.Equal("no", ex.Message);
    }

    [Fact]
    public async Task Ask_without_a_reply_throws_AskTimeoutException_after_the_timeout()
    {
        var silent = _system.ActorOf(Props.Create(() => new EchoActor()));
        var started = DateTime.UtcNow;
        await Assert.ThrowsAsync<AskTimeoutException>(() => silent.Ask<string>("ignore", TimeSpan.FromMilliseconds(200)));
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(190));
    }

    [Fact]
    public async Task Ask_to_a_stopped_actor_throws_AskTimeoutException_without_waiting_for_the_timeout()
    {
        var echo = _system.ActorOf(Props.Create(() => new EchoActor()));
        await _system.StopAsync(echo);
        var ask = echo.Ask<string>("hello", TimeSpan.FromMinutes(1));
        var finished = await Task.WhenAny(ask, Task.Delay(TimeSpan.FromSeconds(10)));
        Assert.Same(ask, finished);
        await Assert.ThrowsAsync<AskTimeoutException>(() => ask);
    }

    [Fact]
    public async Task Tell_to_a_stopped_actor_goes_to_dead_letters_and_does_not_throw()
    {
        var deadLetters = new TestProbe("dead");
        _system.EventStream.Subscribe<DeadLetter>(deadLetters);
        var echo = _system.ActorOf(Props.Create(() => new EchoActor()));
        await _system.StopAsync(echo);
        var before = _system.DeadLetterCount;

        echo.Tell("late");
        await echo.TellAsync("later");
        Assert.True(echo.TryTell("latest"));

        Assert.Equal(before + 3, _system.DeadLetterCount);
        var first = await deadLetters.ExpectMsgAsync<DeadLetter>();
        Assert.Equal("late", first.Message);
        Assert.Same(echo, first.Recipient);
    }

    private sealed record Sequenced(int Sender, int Number);

    private sealed record SequenceResult(int Received, int OutOfOrder);

    private sealed class SequenceChecker(int expected, IActorRef done) : UntypedActor
    {
        private readonly Dictionary<int, int> _last = [];
        private int _received;
        private int _outOfOrder;

        protected override void OnReceive(object message)
        {
            var m = (Sequenced)message;
            if (_last.TryGetValue(m.Sender, out var previous) && m.Number != previous + 1)
            {
                _outOfOrder++;
            }
            else if (!_last.ContainsKey(m.Sender) && m.Number != 0)
            {
                _outOfOrder++;
            }

            _last[m.Sender] = m.Number;
            if (++_received == expected)
            {
                done.Tell(new SequenceResult(_received, _outOfOrder));
            }
        }
    }

    private sealed class OverlapTracker
    {
        public int Inside;
        public int MaxInside;
        public int Calls;
        public int AsyncCalls;
    }

    private sealed class OverlapActor(OverlapTracker tracker, int expected, IActorRef done) : ActorBase
    {
        private int _handled;

        protected override async ValueTask OnReceiveAsync(object message)
        {
            var inside = Interlocked.Increment(ref tracker.Inside);
            InterlockedMax(ref tracker.MaxInside, inside);
            if ((int)message % 1000 == 0)
            {
                // Resume on another pool thread: the runtime must still not start the next message.
                Interlocked.Increment(ref tracker.AsyncCalls);
                await Task.Yield();
            }
            else
            {
                Thread.SpinWait(20);
            }

            Interlocked.Increment(ref tracker.Calls);
            Interlocked.Decrement(ref tracker.Inside);
            if (++_handled == expected)
            {
                done.Tell("done");
            }
        }

        private static void InterlockedMax(ref int target, int value)
        {
            int current;
            while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
            {
            }
        }
    }

    private sealed class EchoActor : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case "ignore":
                    break;
                case "fail":
                    Sender.Tell(new Status.Failure(new InvalidOperationException("no")));
                    break;
                default:
                    Sender.Tell("echo:" + message, Self);
                    break;
            }
        }
    }
}
