using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace MtaCluster.Delivery.Policies;

/// <summary>
/// Reads <c>domains.yaml</c>. Syntax errors, unknown keys and values of the wrong type are reported with
/// their line, column and key path; semantic errors by key path (see <see cref="DomainPolicyConfiguration.FromOptions"/>).
/// </summary>
public static partial class DomainPolicyLoader
{
    private static readonly IDeserializer Deserializer = new DeserializerBuilder()
        .WithNamingConvention(HyphenatedNamingConvention.Instance)
        .WithTypeConverter(new DurationYamlConverter())
        .WithTypeConverter(new EgressPoolYamlConverter())
        .WithDuplicateKeyChecking()
        .Build();

    /// <exception cref="DomainPolicyConfigException">The file is missing or invalid.</exception>
    public static DomainPolicyConfiguration Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        // The full path, so the error names the file an operator has to open.
        var source = Path.GetFullPath(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new DomainPolicyConfigException(path, [$"cannot be read: {ex.Message}"], ex);
        }

        return Parse(text, source);
    }

    /// <summary>Parses YAML text; an empty document yields the built-in defaults.</summary>
    /// <exception cref="DomainPolicyConfigException">The text is invalid.</exception>
    public static DomainPolicyConfiguration Parse(string yaml, string source = "domains.yaml")
    {
        ArgumentNullException.ThrowIfNull(yaml);
        DomainsFileOptions? options;
        try
        {
            options = Deserializer.Deserialize<DomainsFileOptions?>(yaml);
        }
        catch (YamlException ex)
        {
            throw new DomainPolicyConfigException(source, [Describe(ex, yaml)], ex);
        }

        return DomainPolicyConfiguration.FromOptions(options ?? new DomainsFileOptions(), source);
    }

    private static string Describe(YamlException ex, string yaml)
    {
        var reason = Innermost(ex).Message;
        var unknown = UnknownPropertyPattern().Match(reason);
        if (unknown.Success)
        {
            reason = $"unknown setting '{unknown.Groups[1].Value}'";
        }
        else if (reason.Contains("same key", StringComparison.OrdinalIgnoreCase))
        {
            reason = "a key is listed twice";
        }

        var line = (int)ex.Start.Line;
        var column = (int)ex.Start.Column;
        var path = KeyPathAt(yaml, line);
        return path.Length > 0
            ? $"{path} (line {line}, column {column}): {reason}"
            : $"line {line}, column {column}: {reason}";
    }

    private static Exception Innermost(Exception ex)
    {
        // YamlDotNet wraps the real cause (a FormatException for "ten", our duration message) in
        // "Exception during deserialization"; the innermost message is the useful one.
        var current = ex;
        while (current.InnerException is not null)
        {
            current = current.InnerException;
        }

        return current;
    }

    /// <summary>
    /// Rebuilds the key path leading to <paramref name="line"/> from indentation: the key on that line
    /// (or the nearest one above it), then each less-indented key above, up to the root.
    /// </summary>
    internal static string KeyPathAt(string yaml, int line)
    {
        var lines = yaml.Split('\n');
        var keys = new List<string>();
        var indent = int.MaxValue;
        for (var i = Math.Min(line, lines.Length) - 1; i >= 0 && indent > 0; i--)
        {
            var match = KeyLinePattern().Match(lines[i]);
            if (!match.Success)
            {
                continue;
            }

            var keyIndent = match.Groups["key"].Index;
            if (keyIndent >= indent)
            {
                continue;
            }

            var key = match.Groups["key"].Value.Trim('"', '\'');
            keys.Add(key.Contains('.') ? $"\"{key}\"" : key);
            indent = match.Groups["dash"].Success ? match.Groups["dash"].Index : keyIndent;
        }

        keys.Reverse();
        return string.Join('.', keys);
    }

    [GeneratedRegex(@"^Property '([^']+)' not found on type")]
    private static partial Regex UnknownPropertyPattern();

    [GeneratedRegex(@"^\s*(?:(?<dash>-)\s+)?(?<key>""[^""]*""|'[^']*'|[^\s:#'""\-\[{][^:#]*?)\s*:(?:\s|$)")]
    private static partial Regex KeyLinePattern();
}
