namespace MtaCluster.Node.Configuration;

/// <summary>
/// The configuration cannot be used. A <see cref="FormatException"/> so callers that treated the YAML
/// provider's errors as such keep working.
/// </summary>
public sealed class ConfigurationErrorException(ConfigurationError error, Exception? inner = null)
    : FormatException(error.ToString(), inner)
{
    public ConfigurationError Error { get; } = error;
}
