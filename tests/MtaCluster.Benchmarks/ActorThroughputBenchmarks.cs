using BenchmarkDotNet.Attributes;
using MtaCluster.Actors;
using MtaCluster.Actors.Sharding;

namespace MtaCluster.Benchmarks;

/// <summary>
/// Tells per second: one producer thread sending <see cref="Messages"/> messages to one actor, and
/// round-robin through a shard region to <see cref="Entities"/> live entities. Each invocation
/// waits until the last message has been handled, so the figure is end-to-end throughput.
/// </summary>
[MemoryDiagnoser]
public class ActorThroughputBenchmarks
{
    public const int Messages = 1_000_000;
    public const int Entities = 10_000;

    private readonly Countdown _countdown = new();
    private ActorSystem _system = null!;
    private IActorRef _actor = null!;
    private IActorRef _region = null!;
    private EntityMessage[] _entityMessages = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _system = ActorSystem.Create("bench");
        _actor = _system.ActorOf(Props.Create(() => new CountingActor(_countdown)), "counter");
        _region = _system.StartShardRegion(
            "bench",
            _ => Props.Create(() => new CountingActor(_countdown)),
            HashCodeMessageExtractor.Create(1024, m => ((EntityMessage)m).EntityId),
            new ShardingSettings { PassivateIdleEntityAfter = null });
        _entityMessages = Enumerable.Range(0, Entities).Select(i => new EntityMessage("domain-" + i + ".example")).ToArray();

        // Every entity exists before measuring: the figure is routing to live entities, not creating them.
        var warmup = _countdown.Reset(Entities);
        foreach (var message in _entityMessages)
        {
            _region.Tell(message);
        }

        await warmup;
    }

    [GlobalCleanup]
    public Task CleanupAsync() => _system.TerminateAsync();

    [Benchmark(OperationsPerInvoke = Messages)]
    public Task TellOneActor()
    {
        var done = _countdown.Reset(Messages);
        var actor = _actor;
        var message = Ping.Instance;
        for (var i = 0; i < Messages; i++)
        {
            actor.Tell(message);
        }

        return done;
    }

    [Benchmark(OperationsPerInvoke = Messages)]
    public Task TellThroughShardRegion()
    {
        var done = _countdown.Reset(Messages);
        var region = _region;
        var messages = _entityMessages;
        for (var i = 0; i < Messages; i++)
        {
            region.Tell(messages[i % messages.Length]);
        }

        return done;
    }

    private sealed class Ping
    {
        public static readonly Ping Instance = new();
    }

    private sealed record EntityMessage(string EntityId);

    private sealed class Countdown
    {
        private int _remaining;
        private TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Reset(int count)
        {
            _done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _remaining, count);
            return _done.Task;
        }

        public void Signal()
        {
            if (Interlocked.Decrement(ref _remaining) == 0)
            {
                _done.TrySetResult();
            }
        }
    }

    private sealed class CountingActor(Countdown countdown) : UntypedActor
    {
        protected override void OnReceive(object message) => countdown.Signal();
    }
}
