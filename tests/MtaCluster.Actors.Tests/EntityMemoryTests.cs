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
            var countdown = new Countdown(entities);
            var region = system.StartShardRegion(
                "memory",
                id => Props.Create(() => new CountingEntity(countdown)),
                HashCodeMessageExtractor.Create(1024, m => (string)m),
                new ShardingSettings
                {
                    PassivateIdleEntityAfter = TimeSpan.FromMilliseconds(300),
                    PassivationCheckInterval = TimeSpan.FromMilliseconds(100),
                });
            var ids = Enumerable.Range(0, entities).Select(i => "entity-" + i).ToArray();
            await region.Ask<ShardRegionStats>(GetShardRegionStats.Instance, TimeSpan.FromSeconds(5));
            var baseline = MeasureMemory();

            foreach (var id in ids)
            {
                region.Tell(id);
            }

            await countdown.Done.WaitAsync(TimeSpan.FromSeconds(30));
            var live = await region.Ask<ShardRegionStats>(GetShardRegionStats.Instance, TimeSpan.FromSeconds(5));
            var withEntities = MeasureMemory();

            var remaining = -1;
            for (var i = 0; i < 300 && remaining != 0; i++)
            {
                await Task.Delay(100);
                remaining = (await region.Ask<ShardRegionStats>(GetShardRegionStats.Instance, TimeSpan.FromSeconds(5))).EntityCount;
            }

            var after = MeasureMemory();
            output.WriteLine($"baseline {baseline:N0} B, with {live.EntityCount:N0} entities +{withEntities - baseline:N0} B, after passivation +{after - baseline:N0} B");

            Assert.True(live.EntityCount > entities / 2, $"most entities should be alive at once, {live.EntityCount} were");
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

    private sealed class CountingEntity(Countdown countdown) : UntypedActor
    {
        protected override void OnReceive(object message) => countdown.Signal();
    }
}
