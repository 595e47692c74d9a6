using System.Globalization;
using MtaCluster.Actors.Sharding;
using MtaCluster.Cluster.Leases;

namespace MtaCluster.Cluster;

/// <summary>
/// <see cref="IShardOwnership"/> from the member's lease view: a shard is local while this node holds
/// its lease and still believes in it. No store round trip and no allocation per message.
/// </summary>
public sealed class ClusterShardOwnership : IShardOwnership
{
    private readonly LeaseView _view;

    internal ClusterShardOwnership(LeaseView view)
    {
        _view = view;
    }

    public bool IsLocal(string typeName, string shardId) =>
        int.TryParse(shardId, NumberStyles.None, CultureInfo.InvariantCulture, out int shard) && _view.IsHeld(shard);
}
