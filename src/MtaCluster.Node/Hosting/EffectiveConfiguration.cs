using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.EnvironmentVariables;

namespace MtaCluster.Node.Hosting;

/// <summary>Renders the configuration the node actually runs with, secrets masked, for the start-up log.</summary>
public static class EffectiveConfiguration
{
    // A key is secret when any part of its path names one of these (so a whole section such as
    // "Admin:Token" or "Cluster:Store:ConnectionString" is covered, and settings added later under
    // such names are masked without anyone remembering to), or when it is an entry of a map whose
    // values are secrets keyed by a name: "Smtp:Auth:Users:app1" holds app1's password hash.
    private static readonly string[] SecretWords = ["password", "secret", "privatekey", "connectionstring", "token", "apikey"];

    private static readonly string[] SecretMaps = ["Smtp:Auth:Users:"];

    public static IEnumerable<string> Lines(IConfiguration configuration) =>
        configuration.AsEnumerable()
            .Where(kv => kv.Value is not null)
            .OrderBy(kv => kv.Key, StringComparer.OrdinalIgnoreCase)
            .Select(kv => $"{kv.Key} = {(IsSecret(kv.Key) ? "***" : kv.Value)}");

    public static bool IsSecret(string key) =>
        SecretMaps.Any(map => key.StartsWith(map, StringComparison.OrdinalIgnoreCase))
        || key.Split(':').Any(part => SecretWords.Any(w => part.Contains(w, StringComparison.OrdinalIgnoreCase)));

    /// <summary>Where the configuration came from, lowest precedence first: each file with its full path, then the environment and the command line.</summary>
    public static IEnumerable<string> Sources(IConfigurationRoot configuration) =>
        configuration.Providers.Select(provider => provider switch
        {
            FileConfigurationProvider file => file.Source.FileProvider?.GetFileInfo(file.Source.Path ?? "").PhysicalPath ?? file.Source.Path ?? "a file",
            EnvironmentVariablesConfigurationProvider => "environment variables " + Configuration.NodeConfiguration.EnvironmentPrefix + "*",
            _ => "command line (--data-dir)",
        });
}
