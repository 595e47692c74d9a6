namespace MtaCluster.Actors.Sharding;

/// <summary>A shard's entities and hand-off state. Mutated only under a lock on the instance.</summary>
internal sealed class Shard(string id)
{
    private volatile ShardStatus _status;

    public string Id { get; } = id;

    /// <summary>Read without the lock by the routing fast path; written under it.</summary>
    public ShardStatus Status
    {
        get => _status;
        set => _status = value;
    }

    public Dictionary<string, ShardEntity> Entities { get; } = new(StringComparer.Ordinal);

    public List<BufferedMessage>? Buffered { get; set; }

    public List<IActorRef>? HandOffWaiters { get; set; }

    public bool HandOffStarted { get; set; }

    public bool HomeDecided { get; set; }
}
