using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace MtaCluster.Delivery.Policies;

/// <summary>
/// Accepts a pool as a bare address list (<c>pool-a: [127.0.0.2, 127.0.0.3]</c>) or as a mapping with
/// <c>addresses</c> and <c>selection</c>; the short form is what most pools need.
/// </summary>
internal sealed class EgressPoolYamlConverter : IYamlTypeConverter
{
    public bool Accepts(Type type) => type == typeof(EgressPoolOptions);

    public object? ReadYaml(IParser parser, Type type, ObjectDeserializer rootDeserializer)
    {
        if (parser.Current is SequenceStart)
        {
            return new EgressPoolOptions { Addresses = (List<string>?)rootDeserializer(typeof(List<string>)) };
        }

        if (parser.Current is Scalar single)
        {
            parser.MoveNext();
            return new EgressPoolOptions { Addresses = [single.Value] };
        }

        parser.Consume<MappingStart>();
        var options = new EgressPoolOptions();
        while (!parser.TryConsume<MappingEnd>(out _))
        {
            var key = parser.Consume<Scalar>();
            switch (key.Value)
            {
                case "addresses":
                    options.Addresses = (List<string>?)rootDeserializer(typeof(List<string>));
                    break;
                case "selection":
                    options.Selection = parser.Consume<Scalar>().Value;
                    break;
                default:
                    throw new YamlException(key.Start, key.End, $"Property '{key.Value}' not found on type '{nameof(EgressPoolOptions)}'.");
            }
        }

        return options;
    }

    public void WriteYaml(IEmitter emitter, object? value, Type type, ObjectSerializer serializer) =>
        serializer(value is EgressPoolOptions pool ? new { pool.Addresses, pool.Selection } : null);
}
