namespace MtaCluster.Node.Hosting;

/// <summary>The "Node" section of node.yaml.</summary>
public sealed class NodeOptions
{
    public const string Section = "Node";

    /// <summary>This node's name in the cluster; defaults to the machine name.</summary>
    public string? Name { get; set; }

    /// <summary>Directory for the spool, certificates and accounting logs; relative paths are from the working directory.</summary>
    public string DataDir { get; set; } = "./data";

    /// <summary>How long a clean shutdown waits for in-flight work before giving up.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public string EffectiveName => string.IsNullOrWhiteSpace(Name) ? Environment.MachineName : Name;

    public string FullDataDir => Path.GetFullPath(DataDir);
}
