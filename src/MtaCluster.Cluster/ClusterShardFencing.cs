using MtaCluster.Cluster.Leases;
using MtaCluster.Storage;

namespace MtaCluster.Cluster;

/// <summary>
/// <see cref="IShardFencing"/> from the member's lease view: the epoch a fenced spool write carries,
/// or none once the lease is lost or its belief lapsed (the write is then not even attempted).
/// </summary>
public sealed class ClusterShardFencing : IShardFencing
{
    private readonly LeaseView _view;

    internal ClusterShardFencing(string nodeName, LeaseView view)
    {
        NodeName = nodeName;
        _view = view;
    }

    public string NodeName { get; }

    public bool TryGetEpoch(int shard, out long epoch) => _view.TryGetEpoch(shard, out epoch);
}
