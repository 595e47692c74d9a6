using Microsoft.Extensions.Configuration;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace MtaCluster.Node.Configuration;

/// <summary>
/// Flattens a YAML document into configuration keys the way the JSON provider does:
/// mappings become sections, sequences become sections indexed 0, 1, 2, and scalars become values.
/// </summary>
public sealed class YamlConfigurationProvider(YamlConfigurationSource source) : FileConfigurationProvider(source)
{
    public override void Load(Stream stream)
    {
        using var reader = new StreamReader(stream);
        Data = Parse(reader);
    }

    public static Dictionary<string, string?> Parse(TextReader reader)
    {
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var yaml = new YamlStream();
        try
        {
            yaml.Load(reader);
        }
        catch (YamlException ex)
        {
            throw new FormatException($"Invalid YAML at line {ex.Start.Line}, column {ex.Start.Column}: {ex.Message}", ex);
        }
        catch (InvalidOperationException ex)
        {
            // YamlDotNet reports some structural errors (an unterminated flow sequence) this way, without a position.
            throw new FormatException($"Invalid YAML (line unknown): {ex.Message}", ex);
        }

        if (yaml.Documents.Count > 0)
        {
            Visit(yaml.Documents[0].RootNode, prefix: null, data);
        }
        return data;
    }

    private static void Visit(YamlNode node, string? prefix, Dictionary<string, string?> data)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                foreach (var (key, value) in mapping.Children)
                {
                    if (key is not YamlScalarNode scalarKey)
                    {
                        throw new FormatException($"Invalid YAML at line {key.Start.Line}: a key must be a plain value");
                    }
                    var name = scalarKey.Value ?? string.Empty;
                    Visit(value, prefix is null ? name : ConfigurationPath.Combine(prefix, name), data);
                }
                break;
            case YamlSequenceNode sequence:
                for (var i = 0; i < sequence.Children.Count; i++)
                {
                    var name = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    Visit(sequence.Children[i], prefix is null ? name : ConfigurationPath.Combine(prefix, name), data);
                }
                break;
            case YamlScalarNode scalar when prefix is not null:
                // An unquoted "~", "null" or empty value means "not set", so a layer above can still set it.
                var isNull = scalar.Style == YamlDotNet.Core.ScalarStyle.Plain
                             && (scalar.Value is null or "" or "~" or "null" or "Null" or "NULL");
                if (data.ContainsKey(prefix))
                {
                    throw new FormatException($"Duplicate key '{prefix}'.");
                }
                data[prefix] = isNull ? null : scalar.Value;
                break;
        }
    }
}
