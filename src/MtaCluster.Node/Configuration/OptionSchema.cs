using System.Collections.Concurrent;
using System.ComponentModel;
using System.Reflection;

namespace MtaCluster.Node.Configuration;

/// <summary>
/// The keys an option type binds, read by reflection the way ConfigurationBinder sees them: public
/// properties with a public setter (or a settable object behind a getter), case-insensitive; a
/// dictionary takes any name and a list any index, each followed by its element type's keys.
/// </summary>
public static class OptionSchema
{
    private static readonly ConcurrentDictionary<Type, IReadOnlyDictionary<string, PropertyInfo>> Properties = new();

    /// <summary>
    /// Follows <paramref name="segments"/> from <paramref name="start"/> through <paramref name="type"/>.
    /// </summary>
    public static OptionKey Resolve(Type type, IReadOnlyList<string> segments, int start)
    {
        var current = type;
        for (var i = start; i < segments.Count; i++)
        {
            current = Nullable.GetUnderlyingType(current) ?? current;
            if (IsScalar(current))
            {
                return OptionKey.Unknown(i, $"unknown setting ({segments[i - 1]} takes a value, not settings under it)");
            }
            if (DictionaryValueType(current) is { } valueType)
            {
                current = valueType;
                continue;
            }
            if (CollectionElementType(current) is { } elementType)
            {
                // The binder takes every child of a list in order, whatever its name.
                current = elementType;
                continue;
            }
            var properties = PropertiesOf(current);
            if (!properties.TryGetValue(segments[i], out var property))
            {
                var suggestion = KeySuggestion.Nearest(segments[i], properties.Values.Select(p => p.Name));
                return OptionKey.Unknown(i, suggestion is null ? "unknown setting" : $"unknown setting (did you mean {suggestion}?)");
            }
            current = property.PropertyType;
        }
        return OptionKey.Known(current);
    }

    /// <summary>A type the binder converts from one string (a number, a duration, an enum…) rather than a section.</summary>
    public static bool IsScalar(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type == typeof(string) || type == typeof(byte[]) || TypeDescriptor.GetConverter(type).CanConvertFrom(typeof(string));
    }

    /// <summary>How a section of this type is written, for "expected …" messages.</summary>
    public static string SectionShape(Type type) =>
        DictionaryValueType(type) is not null ? "a map of names to values"
        : CollectionElementType(type) is not null ? "a list"
        : "settings under it";

    public static Type? DictionaryValueType(Type type) =>
        (GenericArguments(type, typeof(IDictionary<,>)) ?? GenericArguments(type, typeof(IReadOnlyDictionary<,>))) is { } args ? args[1] : null;

    public static Type? CollectionElementType(Type type)
    {
        if (type.IsArray) return type.GetElementType();
        if (IsScalar(type)) return null;
        return GenericArguments(type, typeof(IEnumerable<>)) is { } args ? args[0] : null;
    }

    public static IReadOnlyDictionary<string, PropertyInfo> PropertiesOf(Type type) =>
        Properties.GetOrAdd(type, static t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && p.GetMethod?.IsPublic == true)
            .Where(p => !typeof(Delegate).IsAssignableFrom(p.PropertyType))
            // A get-only number or flag is computed (SmtpListenerOptions.IsSubmission); the binder skips it.
            // A get-only object or list is filled in place, so its keys are settings.
            .Where(p => p.SetMethod?.IsPublic == true || !IsScalar(p.PropertyType))
            .GroupBy(p => p.Name, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase));

    private static Type[]? GenericArguments(Type type, Type openInterface)
    {
        if (type.IsGenericType && type.GetGenericTypeDefinition() == openInterface) return type.GetGenericArguments();
        return type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == openInterface)?.GetGenericArguments();
    }
}
