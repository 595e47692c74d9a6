using System.Text.RegularExpressions;
using MtaCluster.Delivery.Policies;

namespace MtaCluster.Node.Configuration;

/// <summary>
/// A refused domains.yaml as the one line every configuration error takes: the loader writes
/// "key (line L, column C): reason", the node prints "FILE:L:C: key: reason".
/// </summary>
public static partial class DomainPolicyErrorLine
{
    public static ConfigurationError ToError(DomainPolicyConfigException ex)
    {
        var errors = ex.Errors.Select(e => ToError(ex.Source, e)).ToList();
        if (errors.Count == 1) return errors[0];
        var first = errors[0];
        return first with { Problem = $"{first.Problem} (1 of {errors.Count} errors in the file)" };
    }

    /// <summary>Every error of a refused file, each as its own line (the admin API lists them all).</summary>
    public static IReadOnlyList<ConfigurationError> All(DomainPolicyConfigException ex) =>
        ex.Errors.Select(e => ToError(ex.Source, e)).ToList();

    private static ConfigurationError ToError(string source, string error)
    {
        var match = Positioned().Match(error);
        if (!match.Success) return new ConfigurationError(source, null, null, error);
        var position = new SourcePosition(int.Parse(match.Groups["line"].Value), int.Parse(match.Groups["column"].Value));
        var key = match.Groups["key"].Value;
        return new ConfigurationError(source, position, key.Length == 0 ? null : key, match.Groups["reason"].Value);
    }

    [GeneratedRegex(@"^(?:(?<key>.+?) \()?line (?<line>\d+), column (?<column>\d+)\)?: (?<reason>.*)$", RegexOptions.Singleline)]
    private static partial Regex Positioned();
}
