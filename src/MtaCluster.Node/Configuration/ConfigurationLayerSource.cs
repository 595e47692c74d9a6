using Microsoft.Extensions.Configuration;

namespace MtaCluster.Node.Configuration;

/// <summary>Settings held in memory, marked with the layer they stand for (the memory source cannot say).</summary>
public sealed class ConfigurationLayerSource(ConfigurationLayerKind kind, IEnumerable<KeyValuePair<string, string?>> values) : IConfigurationSource
{
    public IConfigurationProvider Build(IConfigurationBuilder builder) => new ConfigurationLayerProvider(kind, values);
}
