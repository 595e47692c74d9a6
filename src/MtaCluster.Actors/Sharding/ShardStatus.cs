namespace MtaCluster.Actors.Sharding;

internal enum ShardStatus
{
    Active,

    /// <summary>Messages are buffered; entities may still be running or stopping.</summary>
    HandingOff,

    /// <summary>All entities stopped; messages stay buffered until <see cref="ShardHome"/>.</summary>
    HandedOff,
}
