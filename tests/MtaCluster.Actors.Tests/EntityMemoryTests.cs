using MtaCluster.Actors.Sharding;
using Xunit.Abstractions;

namespace MtaCluster.Actors.Tests;

[Collection(SerialCollection.Name)]
public sealed class EntityMemoryTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_hundred_thousand_entities_are_created_and_passivated_and_memory_returns_to_baseline()
    {
        const int entities = 100_000;
        var system = ActorSystem.Create("memory");
        try
        {
            // No idle passivation: on a slow machine a short idle timeout stops early entities before the
            // last ones exist, so how many are alive at once would depend on speed. Each entity is asked
            // to passivate instead, once all of them are counted.
            var created = new Countdown(entities);
            var region = system.StartShardRegion(
                "memory",
                id => Props.Create(() => new CountingEntity(created)),
                HashCodeMessageExtractor.Create(1024, m => m switch { Touch t => t.Id, Leave l => l.Id, _ => null }),
                new ShardingSettings { PassivateIdleEntityAfter = null });
            var ids = Enumerable.Range(0, entities).Select(i => "entity-" + i).ToArray();
            await region.Ask<ShardRegionStats>(GetShardRegionStats.Instance, TimeSpan.FromSeconds(5));
            var baseline = MeasureMemory();

            foreach (var id in ids)
            {
                region.Tell(new Touch(id));
            }

            await created.Done.WaitAsync(TimeSpan.FromMinutes(2));
            var live = await region.Ask<ShardRegionStats>(GetShardRegionStats.Instance, TimeSpan.FromSeconds(30));
            var withEntities = MeasureMemory();

            foreach (var id in ids)
            {
                region.Tell(new Leave(id));
            }

            var remaining = live.EntityCount;
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
            while (remaining != 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
                remaining = (await region.Ask<ShardRegionStats>(GetShardRegionStats.Instance, TimeSpan.FromSeconds(30))).EntityCount;
            }

            ids = null!;
            var after = MeasureMemory();
            output.WriteLine($"baseline {baseline:N0} B, with {live.EntityCount:N0} entities +{withEntities - baseline:N0} B, after passivation +{after - baseline:N0} B");

            Assert.Equal(entities, live.EntityCount);
            Assert.Equal(0, remaining);

            // The measurement must be able to see entities at all (each costs well over 100 bytes)...
            Assert.True(withEntities - baseline > entities * 100L, $"{entities} live entities grew the heap by only {withEntities - baseline} bytes");

            // ...and after passivation only bounded bookkeeping (dictionary buckets) may remain.
            Assert.True(after - baseline < 8L * 1024 * 1024, $"heap is {after - baseline} bytes above baseline after passivation (peak {withEntities - baseline})");
        }
        finally
        {
            await system.TerminateAsync();
        }
    }

    private sealed record Touch(string Id);

    private sealed record Leave(string Id);

    private static long MeasureMemory()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private sealed class Countdown(int count)
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _remaining = count;

        public Task Done => _done.Task;

        public void Signal()
        {
            if (Interlocked.Decrement(ref _remaining) == 0)
            {
                _done.TrySetResult();
            }
        }
    }

    private sealed class CountingEntity(Countdown created) : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case Touch:
                    created.Signal();
                    break;
                case Leave:
                    Context.Parent.Tell(new Passivate(PoisonPill.Instance), Self);
                    break;
            }
        }
    }
}
