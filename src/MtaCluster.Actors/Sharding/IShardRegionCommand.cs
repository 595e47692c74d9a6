namespace MtaCluster.Actors.Sharding;

/// <summary>Messages the shard region handles itself instead of routing them to an entity.</summary>
internal interface IShardRegionCommand;
