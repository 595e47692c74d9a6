namespace MtaCluster.Node.Admin;

/// <summary>The cluster's members as the store knows them, for /api/cluster on a clustered node.</summary>
public interface IClusterStatusSource
{
    Task<IReadOnlyList<ClusterNodeView>> GetMembersAsync(CancellationToken cancellationToken);
}
