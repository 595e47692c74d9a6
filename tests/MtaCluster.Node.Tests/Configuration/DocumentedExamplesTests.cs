using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using MtaCluster.Delivery.Domains;
using MtaCluster.Node.Configuration;
using MtaCluster.Smtp.Server;

namespace MtaCluster.Node.Tests.Configuration;

/// <summary>
/// Every environment-variable example an operator reads, in README.md and in the node's --help,
/// names a setting that exists and takes effect: an example with a misspelt or retired key would
/// be accepted and silently ignored.
/// </summary>
public sealed partial class DocumentedExamplesTests
{
    [GeneratedRegex(@"\bMTA_(?<key>[A-Za-z0-9_]+)=(?<value>[^\s`)]+)")]
    private static partial Regex EnvironmentExample();

    public static TheoryData<string, string> Examples()
    {
        var data = new TheoryData<string, string>();
        foreach (var (source, text) in new[] { ("README.md", File.ReadAllText(FindUp("README.md"))), ("--help", NodeCommandLine.Usage) })
        {
            foreach (Match match in EnvironmentExample().Matches(text))
            {
                var example = match.Value.TrimEnd('.', ',');
                // MTA_Section__Key=value is the pattern itself, not an example of it.
                if (example.StartsWith("MTA_Section__Key", StringComparison.Ordinal)) continue;
                data.Add(source, example);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void Every_documented_environment_example_takes_effect(string source, string example)
    {
        var name = example[..example.IndexOf('=')];
        var value = example[(name.Length + 1)..];
        var key = name[NodeConfiguration.EnvironmentPrefix.Length..].Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal);
        var configuration = NodeConfiguration.Build(NodeCommandLine.Parse([]), environment: new Dictionary<string, string?> { [name] = value });

        // The bound options, not the raw configuration, must show the value.
        var bound = key.Split(':')[0] switch
        {
            "Smtp" => Read(configuration.GetSection("Smtp").Get<SmtpServerOptions>(), key["Smtp:".Length..]),
            "Delivery" => Read(configuration.GetSection("Delivery").Get<DeliveryOptions>(), key["Delivery:".Length..]),
            _ => throw new Xunit.Sdk.XunitException($"{source}: no binding check for the section of {example}"),
        };
        Assert.True(string.Equals(bound, value, StringComparison.OrdinalIgnoreCase), $"{source}: {example} bound as '{bound}'");
    }

    private static string? Read(object? options, string path)
    {
        var current = options;
        foreach (var part in path.Split(':'))
        {
            var property = current?.GetType().GetProperty(part) ?? throw new Xunit.Sdk.XunitException($"no setting {part} in {path}");
            current = property.GetValue(current);
        }
        return Convert.ToString(current, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string FindUp(string file)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, file);
            if (File.Exists(candidate) && Directory.Exists(Path.Combine(dir.FullName, "cluster-config"))) return candidate;
        }
        throw new FileNotFoundException($"{file} not found above the test directory");
    }
}
