namespace MtaCluster.Actors.Sharding;

/// <summary>Answered with <see cref="CurrentShardRegionState"/>.</summary>
public sealed class GetShardRegionState : IShardRegionCommand
{
    public static GetShardRegionState Instance { get; } = new();

    private GetShardRegionState()
    {
    }
}
