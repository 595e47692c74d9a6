using System.Collections;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using MtaCluster.Delivery.Domains;
using MtaCluster.Node.Configuration;
using MtaCluster.Node.Delivery;
using MtaCluster.Node.Hosting;
using MtaCluster.Node.Spooling;
using MtaCluster.Smtp.Server;
using MtaCluster.Testing;

namespace MtaCluster.Node.Tests.Configuration;

/// <summary>
/// Every configuration example an operator reads names a setting that exists and takes effect: the
/// environment examples in README.md, the node's --help and the comments of cluster-config/*.yaml, and
/// the YAML examples commented out in node.yaml (domains.yaml's are uncommented and applied by
/// DomainPolicyResolverTests.The_shipped_examples_work_once_uncommented). An example with a misspelt or
/// retired key would be accepted and silently ignored.
/// </summary>
public sealed partial class DocumentedExamplesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mta-examples-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [GeneratedRegex(@"\bMTA_(?<key>[A-Za-z0-9_]+)=(?<value>[^\s`)]+)")]
    private static partial Regex EnvironmentExample();

    public static TheoryData<string, string> Examples()
    {
        var sources = new List<(string, string)> { ("README.md", File.ReadAllText(FindUp("README.md"))), ("--help", NodeCommandLine.Usage) };
        foreach (var file in ConfigFiles()) sources.Add(($"cluster-config/{Path.GetFileName(file)}", File.ReadAllText(file)));
        var data = new TheoryData<string, string>();
        foreach (var (source, text) in sources)
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
        var bound = BoundValue(configuration, key, source);
        Assert.True(string.Equals(bound, value, StringComparison.OrdinalIgnoreCase), $"{source}: {example} bound as '{bound}'");
    }

    /// <summary>The examples commented out in the shipped node.yaml, by their first line.</summary>
    public static TheoryData<int> NodeYamlExamples()
    {
        var data = new TheoryData<int>();
        foreach (var example in CommentedExamples.Find(File.ReadAllLines(ShippedNodeYaml()))) data.Add(example.Line);
        return data;
    }

    [Theory]
    [MemberData(nameof(NodeYamlExamples))]
    public void Every_example_in_the_node_yaml_comments_takes_effect_once_uncommented(int line)
    {
        var lines = File.ReadAllLines(ShippedNodeYaml());
        var example = Assert.Single(CommentedExamples.Find(lines), e => e.Line == line);
        var uncommented = CommentedExamples.Uncomment(lines, [example]);
        Directory.CreateDirectory(Path.Combine(_dir, "cluster-config"));
        File.WriteAllText(Path.Combine(_dir, "cluster-config", "node.yaml"), uncommented);

        // The node reads the edited file as it reads the shipped one, through every layer.
        var configuration = NodeConfiguration.Build(NodeCommandLine.Parse([]), _dir, new Dictionary<string, string?>());
        var before = YamlConfigurationProvider.Parse(new StringReader(string.Join('\n', lines)));
        var after = YamlConfigurationProvider.Parse(new StringReader(uncommented));
        var changed = after.Where(e => !before.TryGetValue(e.Key, out var old) || old != e.Value).ToList();

        Assert.True(changed.Count > 0, $"node.yaml line {line}: the example changes no setting once uncommented");
        foreach (var (key, value) in changed)
        {
            var bound = BoundValue(configuration, key, $"node.yaml line {line}");
            Assert.True(string.Equals(bound, value, StringComparison.OrdinalIgnoreCase), $"node.yaml line {line}: {key} = {value} bound as '{bound}'");
        }
    }

    [Fact]
    public void Every_shipped_configuration_file_has_its_examples_checked()
    {
        // node.yaml here, domains.yaml in DomainPolicyResolverTests: a new file needs a check of its own.
        Assert.Equal(["domains.yaml", "node.yaml"], ConfigFiles().Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.NotEmpty(NodeYamlExamples());
    }

    private static string? BoundValue(IConfiguration configuration, string key, string source)
    {
        var section = key.Split(':')[0];
        var rest = key[(section.Length + 1)..];
        return section switch
        {
            "Smtp" => Read(configuration.GetSection(section).Get<SmtpServerOptions>(), rest),
            "Delivery" => Read(configuration.GetSection(section).Get<DeliveryOptions>(), rest),
            "Dns" => Read(configuration.GetSection(section).Get<DnsOptions>(), rest),
            "Node" => Read(configuration.GetSection(section).Get<NodeOptions>(), rest),
            "Spool" => Read(configuration.GetSection(section).Get<SpoolOptions>(), rest),
            "Sharding" => Read(configuration.GetSection(section).Get<ShardingOptions>(), rest),
            "Tenants" => Read(configuration.GetSection(section).Get<MtaCluster.Delivery.Tenants.TenantsOptions>(), rest),
            "Dkim" => Read(configuration.GetSection(section).Get<MtaCluster.Node.Dkim.DkimOptions>(), rest),
            _ => throw new Xunit.Sdk.XunitException($"{source}: no binding check for the section of {key}"),
        };
    }

    /// <summary>Walks properties, map keys (case-insensitive, like configuration) and list indexes.</summary>
    private static string? Read(object? options, string path)
    {
        var current = options;
        foreach (var part in path.Split(':'))
        {
            current = current switch
            {
                null => throw new Xunit.Sdk.XunitException($"nothing bound above {part} in {path}"),
                IDictionary map => map.Keys.Cast<object>().FirstOrDefault(k => string.Equals(k.ToString(), part, StringComparison.OrdinalIgnoreCase)) is { } found
                    ? map[found]
                    : throw new Xunit.Sdk.XunitException($"no entry {part} in {path}"),
                IList list when int.TryParse(part, out var index) => index < list.Count ? list[index] : throw new Xunit.Sdk.XunitException($"no entry {part} in {path}"),
                _ => (current.GetType().GetProperty(part) ?? throw new Xunit.Sdk.XunitException($"no setting {part} in {path}")).GetValue(current),
            };
        }
        return Convert.ToString(current, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static IEnumerable<string> ConfigFiles() =>
        Directory.GetFiles(Path.Combine(Path.GetDirectoryName(FindUp("README.md"))!, "cluster-config"), "*.yaml");

    private static string ShippedNodeYaml() => Path.Combine(Path.GetDirectoryName(FindUp("README.md"))!, "cluster-config", "node.yaml");

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
