using Microsoft.Extensions.Configuration;

namespace MtaCluster.Node.Configuration;

/// <summary>
/// Builds the node's configuration. Precedence, lowest first: cluster-config/node.yaml (the
/// documented defaults), the file named by --config, MTA_-prefixed environment variables,
/// and --data-dir on the command line. <see cref="NodeConfigurationValidator"/> checks the result.
/// </summary>
public static class NodeConfiguration
{
    public const string EnvironmentPrefix = "MTA_";
    public const string DefaultFileName = "node.yaml";

    public static IConfigurationRoot Build(NodeCommandLine commandLine, string? baseDirectory = null, IDictionary<string, string?>? environment = null)
    {
        var builder = new ConfigurationBuilder();
        var defaults = FindDefaultFile(baseDirectory);
        if (defaults is not null)
        {
            builder.AddYamlFile(defaults, optional: false);
        }
        if (commandLine.ConfigPath is not null)
        {
            if (!File.Exists(commandLine.ConfigPath))
            {
                throw new FileNotFoundException($"configuration file '{commandLine.ConfigPath}' does not exist", commandLine.ConfigPath);
            }
            builder.AddYamlFile(commandLine.ConfigPath, optional: false);
        }
        if (environment is null)
        {
            builder.AddEnvironmentVariables(EnvironmentPrefix);
        }
        else
        {
            // Tests hand in an environment of their own; the same prefix and "__" separator rules apply.
            builder.Add(new ConfigurationLayerSource(ConfigurationLayerKind.Environment, environment
                .Where(e => e.Key.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase))
                .Select(e => KeyValuePair.Create(e.Key[EnvironmentPrefix.Length..].Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal), e.Value))));
        }
        if (commandLine.DataDir is not null)
        {
            builder.Add(new ConfigurationLayerSource(ConfigurationLayerKind.CommandLine, [KeyValuePair.Create<string, string?>("Node:DataDir", commandLine.DataDir)]));
        }
        try
        {
            return builder.Build();
        }
        catch (InvalidDataException ex) when (ex.InnerException is ConfigurationErrorException error)
        {
            // The file provider wraps what a parser throws in "Failed to load configuration from file";
            // the parser's own error already names the file, the line and the column.
            throw error;
        }
    }

    /// <summary>
    /// cluster-config/node.yaml in the working directory wins, so an operator editing the file in
    /// a checkout sees the change; the copy beside the binary is the fallback.
    /// </summary>
    public static string? FindDefaultFile(string? baseDirectory = null, string fileName = DefaultFileName)
    {
        var candidates = new[]
        {
            Path.Combine(baseDirectory ?? Directory.GetCurrentDirectory(), "cluster-config", fileName),
            Path.Combine(AppContext.BaseDirectory, "cluster-config", fileName),
        };
        return candidates.FirstOrDefault(File.Exists);
    }
}
