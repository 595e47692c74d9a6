using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace MtaCluster.Delivery.Policies;

/// <summary>Reads <see cref="TimeSpan"/> settings in <see cref="DurationParser"/> syntax.</summary>
internal sealed class DurationYamlConverter : IYamlTypeConverter
{
    public bool Accepts(Type type) => type == typeof(TimeSpan) || type == typeof(TimeSpan?);

    public object? ReadYaml(IParser parser, Type type, ObjectDeserializer rootDeserializer)
    {
        var scalar = parser.Consume<Scalar>();
        if (type == typeof(TimeSpan?) && scalar.Style == ScalarStyle.Plain && scalar.Value is "" or "~" or "null")
        {
            return null;
        }

        if (DurationParser.TryParse(scalar.Value, out var value))
        {
            return value.Value;
        }

        throw new YamlException(scalar.Start, scalar.End,
            $"'{scalar.Value}' is not a duration (use e.g. 30s, 5m, 1h30m, 5d or hh:mm:ss)");
    }

    public void WriteYaml(IEmitter emitter, object? value, Type type, ObjectSerializer serializer) =>
        emitter.Emit(new Scalar(value is TimeSpan t ? t.ToString("c") : string.Empty));
}
