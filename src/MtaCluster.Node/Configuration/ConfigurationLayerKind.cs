namespace MtaCluster.Node.Configuration;

/// <summary>Where a layer of in-memory settings came from, so that an error can name it.</summary>
public enum ConfigurationLayerKind
{
    /// <summary>MTA_-prefixed variables: a key is named by its variable, MTA_Section__Key.</summary>
    Environment,

    /// <summary>Options such as --data-dir.</summary>
    CommandLine,
}
