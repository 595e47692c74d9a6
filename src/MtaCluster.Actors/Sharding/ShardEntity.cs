namespace MtaCluster.Actors.Sharding;

/// <summary>An entity id's slot in its shard; outlives incarnations while messages keep arriving.</summary>
internal sealed class ShardEntity(ShardRegion region, Shard shard, string id)
{
    private volatile ActorCell? _cell;
    private volatile bool _passivating;

    public ShardRegion Region { get; } = region;

    public Shard Shard { get; } = shard;

    public string Id { get; } = id;

    /// <summary>The current incarnation; read without the shard lock on the routing fast path.</summary>
    public ActorCell? Cell
    {
        get => _cell;
        set => _cell = value;
    }

    /// <summary>Stopping: new messages are buffered for the next incarnation.</summary>
    public bool Passivating
    {
        get => _passivating;
        set => _passivating = value;
    }

    public List<BufferedMessage>? Buffered { get; set; }
}
