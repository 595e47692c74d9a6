using System.ComponentModel;

namespace MtaCluster.Node.Configuration;

/// <summary>Whether a string converts to a setting's type, by the converter the binder uses, and what it should look like.</summary>
public static class ValueExpectation
{
    public static bool Converts(Type type, string value)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        // As ConfigurationBinder: an empty value for a nullable setting means "not set".
        if (underlying is not null && value.Length == 0) return true;
        var target = underlying ?? type;
        if (target == typeof(string)) return true;
        if (target == typeof(byte[])) return IsBase64(value);
        try
        {
            TypeDescriptor.GetConverter(target).ConvertFromInvariantString(value);
            return true;
        }
        catch (Exception)
        {
            // Converters differ in what they throw (FormatException, ArgumentException wrapping an
            // OverflowException…); any of it is what the binder would fail on.
            return false;
        }
    }

    public static string Describe(Type type)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        if (target.IsEnum)
        {
            var names = string.Join(", ", Enum.GetNames(target));
            return target.IsDefined(typeof(FlagsAttribute), inherit: false) ? $"one or more of {names}, separated by commas" : $"one of {names}";
        }
        return Type.GetTypeCode(target) switch
        {
            TypeCode.Boolean => "true or false",
            TypeCode.Byte or TypeCode.SByte or TypeCode.Int16 or TypeCode.UInt16 or TypeCode.Int32 or TypeCode.UInt32
                or TypeCode.Int64 or TypeCode.UInt64 => $"a whole number from {Min(target)} to {Max(target)}",
            TypeCode.Single or TypeCode.Double or TypeCode.Decimal => "a number",
            TypeCode.DateTime => "a date and time like 2026-01-31T12:00:00Z",
            _ when target == typeof(TimeSpan) => "a duration like 00:05:00 (hh:mm:ss, or d.hh:mm:ss)",
            _ when target == typeof(DateTimeOffset) => "a date and time like 2026-01-31T12:00:00Z",
            _ when target == typeof(Uri) => "a URI",
            _ when target == typeof(byte[]) => "base64",
            _ => $"a {target.Name}",
        };
    }

    private static string Min(Type type) => Convert.ToString(type.GetField("MinValue")!.GetValue(null), System.Globalization.CultureInfo.InvariantCulture)!;

    private static string Max(Type type) => Convert.ToString(type.GetField("MaxValue")!.GetValue(null), System.Globalization.CultureInfo.InvariantCulture)!;

    private static bool IsBase64(string value)
    {
        Span<byte> buffer = value.Length <= 1024 ? stackalloc byte[value.Length] : new byte[value.Length];
        return Convert.TryFromBase64String(value, buffer, out _);
    }
}
