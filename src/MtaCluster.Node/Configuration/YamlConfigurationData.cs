namespace MtaCluster.Node.Configuration;

/// <summary>
/// A YAML document flattened into configuration keys, with where each key and each value stands in
/// the file so that a mistake can be reported at its line and column.
/// </summary>
public sealed class YamlConfigurationData
{
    public Dictionary<string, string?> Values { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Every key path, sections included, to the position of its last key.</summary>
    public Dictionary<string, SourcePosition> KeyPositions { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Every value to the position of the value itself.</summary>
    public Dictionary<string, SourcePosition> ValuePositions { get; } = new(StringComparer.OrdinalIgnoreCase);
}
