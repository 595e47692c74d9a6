using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace MtaCluster.Node.Configuration;

/// <summary>
/// Flattens a YAML document into configuration keys the way the JSON provider does:
/// mappings become sections, sequences become sections indexed 0, 1, 2, and scalars become values.
/// It remembers where each key stands so the validator can name the line and column.
/// </summary>
public sealed partial class YamlConfigurationProvider(YamlConfigurationSource source) : FileConfigurationProvider(source)
{
    private YamlConfigurationData _document = new();

    /// <summary>The file's full path, as errors name it.</summary>
    public string FilePath => Source.FileProvider?.GetFileInfo(Source.Path ?? "").PhysicalPath ?? Source.Path ?? "a YAML file";

    public override void Load(Stream stream)
    {
        using var reader = new StreamReader(stream);
        _document = ParseDocument(reader, FilePath);
        Data = _document.Values;
    }

    /// <summary>Where <paramref name="key"/> stands in the file: its value for a setting, its key for a section.</summary>
    public SourcePosition? PositionOf(string key, bool ofValue) =>
        ofValue && _document.ValuePositions.TryGetValue(key, out var value) ? value
        : _document.KeyPositions.TryGetValue(key, out var position) ? position
        : null;

    public static Dictionary<string, string?> Parse(TextReader reader) => ParseDocument(reader, "YAML").Values;

    /// <exception cref="ConfigurationErrorException">The text is not YAML, or a key is there twice.</exception>
    public static YamlConfigurationData ParseDocument(TextReader reader, string sourceName)
    {
        var document = new YamlConfigurationData();
        var yaml = new YamlStream();
        try
        {
            yaml.Load(reader);
        }
        catch (YamlException ex)
        {
            throw new ConfigurationErrorException(
                new ConfigurationError(sourceName, Position(ex.Start), null, "invalid YAML: " + ParserMessage(ex)), ex);
        }
        catch (InvalidOperationException ex)
        {
            // YamlDotNet reports some structural errors (an unterminated flow sequence) this way, without a position.
            throw new ConfigurationErrorException(new ConfigurationError(sourceName, null, null, "invalid YAML: " + ex.Message), ex);
        }

        if (yaml.Documents.Count > 0)
        {
            Visit(yaml.Documents[0].RootNode, prefix: null, document, sourceName);
        }
        return document;
    }

    private static void Visit(YamlNode node, string? prefix, YamlConfigurationData document, string sourceName)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                foreach (var (key, value) in mapping.Children)
                {
                    if (key is not YamlScalarNode scalarKey)
                    {
                        throw new ConfigurationErrorException(new ConfigurationError(sourceName, Position(key.Start), prefix, "invalid YAML: a key must be a plain value"));
                    }
                    var name = scalarKey.Value ?? string.Empty;
                    var path = prefix is null ? name : ConfigurationPath.Combine(prefix, name);
                    if (!document.KeyPositions.TryAdd(path, Position(key.Start)))
                    {
                        throw new ConfigurationErrorException(new ConfigurationError(sourceName, Position(key.Start), path, "the key is set twice"));
                    }
                    Visit(value, path, document, sourceName);
                }
                break;
            case YamlSequenceNode sequence:
                for (var i = 0; i < sequence.Children.Count; i++)
                {
                    var name = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    var path = prefix is null ? name : ConfigurationPath.Combine(prefix, name);
                    document.KeyPositions[path] = Position(sequence.Children[i].Start);
                    Visit(sequence.Children[i], path, document, sourceName);
                }
                break;
            case YamlScalarNode scalar when prefix is not null:
                // An unquoted "~", "null" or empty value means "not set", so a layer above can still set it.
                var isNull = scalar.Style == ScalarStyle.Plain
                             && (scalar.Value is null or "" or "~" or "null" or "Null" or "NULL");
                if (!document.Values.TryAdd(prefix, isNull ? null : scalar.Value))
                {
                    // Keys differing only in case ("a" and "A") name the same setting.
                    throw new ConfigurationErrorException(new ConfigurationError(sourceName, Position(scalar.Start), prefix, "the key is set twice"));
                }
                document.ValuePositions[prefix] = Position(scalar.Start);
                break;
        }
    }

    private static SourcePosition Position(Mark mark) => new((int)mark.Line, (int)mark.Column);

    // YamlException's message starts with "(Line: 2, Col: 5, Idx: 9) - (Line: ...): "; the position is reported on its own.
    private static string ParserMessage(YamlException ex) => MarkPrefix().Replace(ex.Message, "");

    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\):\s*")]
    private static partial Regex MarkPrefix();
}
