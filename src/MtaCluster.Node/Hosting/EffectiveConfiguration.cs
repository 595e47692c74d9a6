using Microsoft.Extensions.Configuration;

namespace MtaCluster.Node.Hosting;

/// <summary>Renders the configuration the node actually runs with, secrets masked, for the start-up log.</summary>
public static class EffectiveConfiguration
{
    private static readonly string[] SecretWords = ["password", "secret", "passwordhash", "privatekey", "connectionstring", "token"];

    public static IEnumerable<string> Lines(IConfiguration configuration) =>
        configuration.AsEnumerable()
            .Where(kv => kv.Value is not null)
            .OrderBy(kv => kv.Key, StringComparer.OrdinalIgnoreCase)
            .Select(kv => $"{kv.Key} = {(IsSecret(kv.Key) ? "********" : kv.Value)}");

    public static bool IsSecret(string key)
    {
        var last = key[(key.LastIndexOf(':') + 1)..];
        return SecretWords.Any(w => last.Contains(w, StringComparison.OrdinalIgnoreCase));
    }
}
