using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.RegularExpressions;

namespace MtaCluster.Delivery.Policies;

/// <summary>
/// Durations as operators write them in mail configuration: <c>90s</c>, <c>5m</c>, <c>1h30m</c>, <c>5d</c>,
/// <c>1w</c> (Postfix time units), or <c>hh:mm:ss</c>.
/// </summary>
public static partial class DurationParser
{
    public static bool TryParse(string? text, [NotNullWhen(true)] out TimeSpan? value)
    {
        value = null;
        var trimmed = text?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            return false;
        }

        if (trimmed.Contains(':'))
        {
            if (TimeSpan.TryParse(trimmed, CultureInfo.InvariantCulture, out var clock))
            {
                value = clock;
                return true;
            }

            return false;
        }

        var match = UnitsPattern().Match(trimmed);
        if (!match.Success)
        {
            return false;
        }

        long ticks = 0;
        var numbers = match.Groups["n"].Captures;
        var units = match.Groups["u"].Captures;
        for (var i = 0; i < numbers.Count; i++)
        {
            var n = double.Parse(numbers[i].Value, CultureInfo.InvariantCulture);
            var unit = units[i].Value.ToLowerInvariant() switch
            {
                "ms" => TimeSpan.TicksPerMillisecond,
                "s" => TimeSpan.TicksPerSecond,
                "m" => TimeSpan.TicksPerMinute,
                "h" => TimeSpan.TicksPerHour,
                "d" => TimeSpan.TicksPerDay,
                _ => TimeSpan.TicksPerDay * 7,
            };
            var part = n * unit;
            if (part > TimeSpan.MaxValue.Ticks - ticks)
            {
                return false;
            }

            ticks += (long)part;
        }

        value = TimeSpan.FromTicks(ticks);
        return true;
    }

    [GeneratedRegex(@"^(?:(?<n>\d+(?:\.\d+)?)\s*(?<u>ms|s|m|h|d|w))+$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex UnitsPattern();
}
