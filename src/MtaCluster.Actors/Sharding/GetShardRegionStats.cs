namespace MtaCluster.Actors.Sharding;

/// <summary>Answered with <see cref="ShardRegionStats"/>.</summary>
public sealed class GetShardRegionStats : IShardRegionCommand
{
    public static GetShardRegionStats Instance { get; } = new();

    private GetShardRegionStats()
    {
    }
}
