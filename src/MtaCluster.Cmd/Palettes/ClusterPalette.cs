using System.CommandLine;

namespace MtaCluster.Cmd.Palettes;

/// <summary><c>cluster</c>: the members.</summary>
public static class ClusterPalette
{
    public static void Add(RootCommand root, PbmCommandKit kit)
    {
        var cluster = PbmCommandKit.Child(root, "cluster", "The cluster's members");
        cluster.Add(kit.Leaf("show", "A line per node: address | status | shards | entities | up since", _ => "/api/cluster", Views.ClusterShow));
        cluster.Add(kit.Leaf("status", "The cluster in brief: nodes up, shards owned", _ => "/api/cluster", Views.ClusterStatus));
    }
}
