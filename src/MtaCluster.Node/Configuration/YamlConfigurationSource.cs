using Microsoft.Extensions.Configuration;

namespace MtaCluster.Node.Configuration;

/// <summary>A YAML file as a configuration source, in the shape of the JSON one.</summary>
public sealed class YamlConfigurationSource : FileConfigurationSource
{
    public override IConfigurationProvider Build(IConfigurationBuilder builder)
    {
        EnsureDefaults(builder);
        return new YamlConfigurationProvider(this);
    }
}
