namespace MtaCluster.Actors.Sharding;

/// <summary>A single node: every shard is local.</summary>
public sealed class LocalShardOwnership : IShardOwnership
{
    public static LocalShardOwnership Instance { get; } = new();

    private LocalShardOwnership()
    {
    }

    public bool IsLocal(string typeName, string shardId) => true;
}
