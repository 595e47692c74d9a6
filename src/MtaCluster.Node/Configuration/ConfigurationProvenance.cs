using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using MtaCluster.Node.Hosting;

namespace MtaCluster.Node.Configuration;

/// <summary>Which layer a setting's effective value comes from, and how to name that place to an operator.</summary>
public static class ConfigurationProvenance
{
    /// <summary>
    /// Every key set by any layer, once, from the layer whose value wins (the highest), in layer order.
    /// A walk of each provider's keys: a few hundred lookups at start.
    /// </summary>
    public static IReadOnlyList<ConfiguredValue> Winners(IConfigurationRoot configuration)
    {
        var providers = configuration.Providers.ToList();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var winners = new List<ConfiguredValue>();
        for (var layer = providers.Count - 1; layer >= 0; layer--)
        {
            foreach (var (key, value) in Keys(providers[layer], parent: null))
            {
                if (seen.Add(key)) winners.Add(new ConfiguredValue(key, value, providers[layer], layer));
            }
        }
        winners.Reverse();
        return winners;
    }

    /// <summary>The source and position of the layer that sets <paramref name="key"/>'s effective value.</summary>
    public static (string Source, SourcePosition? Position) Describe(IConfigurationRoot configuration, string key)
    {
        var provider = configuration.Providers.Reverse().FirstOrDefault(p => p.TryGet(key, out _));
        return provider is null ? ("configuration", null) : Describe(provider, key, ofValue: true);
    }

    public static (string Source, SourcePosition? Position) Describe(IConfigurationProvider provider, string key, bool ofValue) => provider switch
    {
        YamlConfigurationProvider yaml => (yaml.FilePath, yaml.PositionOf(key, ofValue)),
        EnvironmentVariablesConfigurationProvider => (EnvironmentVariable(key), null),
        ConfigurationLayerProvider { Kind: ConfigurationLayerKind.Environment } => (EnvironmentVariable(key), null),
        ConfigurationLayerProvider { Kind: ConfigurationLayerKind.CommandLine } => ("command line", null),
        FileConfigurationProvider file => (file.Source.FileProvider?.GetFileInfo(file.Source.Path ?? "").PhysicalPath ?? file.Source.Path ?? "a file", null),
        _ => (provider.ToString() ?? "configuration", null),
    };

    /// <summary>The variable that sets <paramref name="key"/>: the environment provider turned its "__" into ":".</summary>
    public static string EnvironmentVariable(string key) =>
        "environment variable " + NodeConfiguration.EnvironmentPrefix + key.Replace(ConfigurationPath.KeyDelimiter, "__", StringComparison.Ordinal);

    /// <summary>A value as an error may show it: secrets by the same rule as the start-up dump.</summary>
    public static string? Shown(string key, string? value) => EffectiveConfiguration.IsSecret(key) ? "***" : value;

    private static IEnumerable<(string Key, string? Value)> Keys(IConfigurationProvider provider, string? parent)
    {
        foreach (var child in provider.GetChildKeys([], parent).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            var path = parent is null ? child : ConfigurationPath.Combine(parent, child);
            if (provider.TryGet(path, out var value)) yield return (path, value);
            foreach (var nested in Keys(provider, path)) yield return nested;
        }
    }
}
