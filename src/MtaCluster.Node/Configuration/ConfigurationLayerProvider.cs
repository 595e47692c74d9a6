using Microsoft.Extensions.Configuration;

namespace MtaCluster.Node.Configuration;

public sealed class ConfigurationLayerProvider : ConfigurationProvider
{
    public ConfigurationLayerProvider(ConfigurationLayerKind kind, IEnumerable<KeyValuePair<string, string?>> values)
    {
        Kind = kind;
        foreach (var (key, value) in values) Data[key] = value;
    }

    public ConfigurationLayerKind Kind { get; }
}
