using System.Collections.Concurrent;
using MtaCluster.Actors.Sharding;

namespace MtaCluster.Actors.Tests;

public sealed class ShardRegionTests : IAsyncLifetime
{
    private const int Shards = 16;
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);
    private readonly ActorSystem _system = ActorSystem.Create("sharding");
    private readonly ConcurrentDictionary<string, int> _incarnations = new();
    private readonly TestProbe _probe = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _system.TerminateAsync();

    [Fact]
    public async Task Messages_are_routed_by_entity_id_to_one_instance_created_on_the_first_message()
    {
        var region = StartRegion(new ShardingSettings { PassivateIdleEntityAfter = null });

        var replies = new List<Who>();
        foreach (var id in new[] { "a", "b", "a", "c", "a", "b" })
        {
            replies.Add(await region.Ask<Who>(new ToEntity(id, "who"), AskTimeout));
        }

        Assert.Equal(["a", "b", "a", "c", "a", "b"], replies.Select(r => r.EntityId));
        Assert.Single(replies.Where(r => r.EntityId == "a").Select(r => r.InstanceId).Distinct());
        Assert.Single(replies.Where(r => r.EntityId == "b").Select(r => r.InstanceId).Distinct());
        Assert.Equal(3, replies.Select(r => r.InstanceId).Distinct().Count());
        Assert.All(_incarnations.Values, count => Assert.Equal(1, count));
        Assert.Equal(3, _incarnations.Count);

        var state = await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, AskTimeout);
        foreach (var id in new[] { "a", "b", "c" })
        {
            var shardId = ShardHash.ShardOf(id, Shards).ToString(System.Globalization.CultureInfo.InvariantCulture);
            Assert.Contains(id, state.Shards.Single(s => s.ShardId == shardId).EntityIds);
            Assert.EndsWith($"/{shardId}/{id}", replies.First(r => r.EntityId == id).Path);
        }
    }

    [Fact]
    public async Task An_idle_entity_is_passivated_and_the_next_message_starts_a_new_incarnation()
    {
        var region = StartRegion(new ShardingSettings
        {
            PassivateIdleEntityAfter = TimeSpan.FromMilliseconds(200),
            PassivationCheckInterval = TimeSpan.FromMilliseconds(50),
        });

        var first = await region.Ask<Who>(new ToEntity("idle", "who"), AskTimeout);
        Assert.Equal("post-stop:idle:1", await _probe.ExpectMsgAsync<string>());
        await EntityCountBecomesAsync(region, 0);

        var second = await region.Ask<Who>(new ToEntity("idle", "who"), AskTimeout);
        Assert.Equal(1, first.Incarnation);
        Assert.Equal(2, second.Incarnation);
    }

    [Fact]
    public async Task An_entity_that_passivates_itself_gets_the_messages_sent_while_it_stops_in_order_in_its_next_incarnation()
    {
        var region = StartRegion(new ShardingSettings { PassivateIdleEntityAfter = null });
        await region.Ask<Who>(new ToEntity("p", "who"), AskTimeout);

        region.Tell(new ToEntity("p", "passivate"));
        for (var i = 0; i < 50; i++)
        {
            region.Tell(new ToEntity("p", i));
        }

        var received = new List<Received>();
        while (await _probe.ExpectMsgAsync<object>() is var next && next is not string)
        {
            received.Add((Received)next);
        }

        Assert.Equal("post-stop:p:1", _probe.LastMessage);

        // PostStop is slow (300 ms): everything sent now reaches the entity while it is stopping.
        for (var i = 50; i < 150; i++)
        {
            region.Tell(new ToEntity("p", i));
        }

        while (received.Count < 150)
        {
            received.Add(await _probe.ExpectMsgAsync<Received>());
        }

        Assert.Equal(Enumerable.Range(0, 150), received.Select(r => r.Number));
        Assert.All(received.Where(r => r.Number >= 50), r => Assert.Equal(2, r.Incarnation));
        Assert.True(received.Select(r => r.Incarnation).SequenceEqual(received.Select(r => r.Incarnation).Order()));
        Assert.Equal(2, _incarnations["p"]);
    }

    [Fact]
    public async Task HandOff_stops_the_entities_of_one_shard_buffers_its_messages_and_ShardHome_delivers_them()
    {
        var region = StartRegion(new ShardingSettings { PassivateIdleEntityAfter = null });
        var (a, b) = TwoIdsInOneShard(out var shardId);
        var other = Enumerable.Range(0, 100).Select(i => "o" + i).First(id => ShardOf(id) != shardId);
        foreach (var id in new[] { a, b, other })
        {
            await region.Ask<Who>(new ToEntity(id, "who"), AskTimeout);
        }

        Assert.Equal(new BeginHandOffAck(shardId), await region.Ask<BeginHandOffAck>(new BeginHandOff(shardId), AskTimeout));
        region.Tell(new ToEntity(a, 1));
        Assert.Equal(new ShardStopped(shardId), await region.Ask<ShardStopped>(new HandOff(shardId), AskTimeout));

        var stops = new[] { _probe.ExpectMsgAsync<string>(), _probe.ExpectMsgAsync<string>() };
        Assert.Equal(new[] { $"post-stop:{a}:1", $"post-stop:{b}:1" }.Order(), (await Task.WhenAll(stops)).Order());
        await EntityCountBecomesAsync(region, 1);

        region.Tell(new ToEntity(a, 2));
        region.Tell(new ToEntity(b, 3));
        Assert.Equal(other, (await region.Ask<Who>(new ToEntity(other, "who"), AskTimeout)).EntityId);
        await _probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));

        region.Tell(new ShardHome(shardId));

        var delivered = await _probe.ExpectMsgsAsync<Received>(3);
        Assert.Equal([new Received(a, 2, 1), new Received(a, 2, 2)], delivered.Where(r => r.EntityId == a));
        Assert.Equal([new Received(b, 2, 3)], delivered.Where(r => r.EntityId == b));
    }

    [Fact]
    public async Task A_shard_owned_elsewhere_is_forwarded_and_an_EntityEnvelope_is_delivered_without_the_extractor()
    {
        var forwarder = new RecordingForwarder();
        var (remoteId, _) = TwoIdsInOneShard(out var remoteShard);
        var localId = Enumerable.Range(0, 100).Select(i => "l" + i).First(id => ShardOf(id) != remoteShard);
        var region = StartRegion(new ShardingSettings { PassivateIdleEntityAfter = null }, new OwnsAllBut(remoteShard), forwarder);

        region.Tell(new ToEntity(remoteId, 7), _probe);
        var forwarded = Assert.Single(forwarder.Forwarded);
        Assert.Equal(("entities", new EntityEnvelope(remoteShard, remoteId, 7)), (forwarded.TypeName, forwarded.Envelope));
        Assert.Same(_probe, forwarded.Sender);
        Assert.Equal(0, await EntityCountAsync(region));

        var viaEnvelope = await region.Ask<Who>(new EntityEnvelope(ShardOf(localId), localId, "who"), AskTimeout);
        Assert.Equal(localId, viaEnvelope.EntityId);
    }

    private static async Task EntityCountBecomesAsync(IActorRef region, int expected)
    {
        var count = -1;
        for (var i = 0; i < 200 && (count = await EntityCountAsync(region)) != expected; i++)
        {
            await Task.Delay(25);
        }

        Assert.Equal(expected, count);
    }

    private static string ShardOf(string id) =>
        ShardHash.ShardOf(id, Shards).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static (string, string) TwoIdsInOneShard(out string shardId)
    {
        var first = "e0";
        shardId = ShardOf(first);
        var wanted = shardId;
        var second = Enumerable.Range(1, 1000).Select(i => "e" + i).First(id => ShardOf(id) == wanted);
        return (first, second);
    }

    private static async Task<int> EntityCountAsync(IActorRef region)
    {
        var stats = await region.Ask<ShardRegionStats>(GetShardRegionStats.Instance, AskTimeout);
        return stats.EntityCount;
    }

    private IActorRef StartRegion(ShardingSettings settings, IShardOwnership? ownership = null, IShardForwarder? forwarder = null) =>
        _system.StartShardRegion(
            "entities",
            id => Props.Create(() => new TestEntity(id, _incarnations.AddOrUpdate(id, 1, (_, n) => n + 1), _probe)),
            HashCodeMessageExtractor.Create(Shards, m => (m as ToEntity)?.EntityId, m => ((ToEntity)m).Payload),
            settings,
            ownership,
            forwarder);

    internal sealed record ToEntity(string EntityId, object Payload);

    internal sealed record Who(string EntityId, int Incarnation, Guid InstanceId, string Path);

    internal sealed record Received(string EntityId, int Incarnation, int Number);

    private sealed class TestEntity(string id, int incarnation, IActorRef probe) : ActorBase
    {
        private readonly Guid _instance = Guid.NewGuid();

        protected override ValueTask OnReceiveAsync(object message)
        {
            switch (message)
            {
                case "who":
                    Sender.Tell(new Who(id, incarnation, _instance, Self.Path));
                    break;
                case "passivate":
                    Context.Parent.Tell(new Passivate("stop"), Self);
                    break;
                case "stop":
                    Context.Stop(Self);
                    break;
                case int number:
                    probe.Tell(new Received(id, incarnation, number));
                    break;
            }

            return default;
        }

        protected override async ValueTask PostStopAsync()
        {
            probe.Tell($"post-stop:{id}:{incarnation}");
            await Task.Delay(300);
        }
    }

    private sealed class OwnsAllBut(string remoteShard) : IShardOwnership
    {
        public bool IsLocal(string typeName, string shardId) => shardId != remoteShard;
    }

    private sealed class RecordingForwarder : IShardForwarder
    {
        public ConcurrentQueue<(string TypeName, EntityEnvelope Envelope, IActorRef? Sender)> Forwarded { get; } = new();

        public void Forward(string typeName, EntityEnvelope envelope, IActorRef? sender) => Forwarded.Enqueue((typeName, envelope, sender));
    }
}
