using Microsoft.Extensions.Configuration;

namespace MtaCluster.Node.Configuration;

/// <summary>A key as one layer sets it, spelled as that layer spells it; <see cref="Layer"/> counts from the lowest.</summary>
public sealed record ConfiguredValue(string Key, string? Value, IConfigurationProvider Provider, int Layer);
