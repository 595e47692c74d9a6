using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace MtaCluster.Delivery.Classification;

/// <summary>An RFC 3463 enhanced status code, <c>class.subject.detail</c>.</summary>
public readonly partial record struct EnhancedStatusCode(int Class, int Subject, int Detail)
{
    public override string ToString() => $"{Class}.{Subject}.{Detail}";

    /// <summary>Parses exactly one code (RFC 3463 §2: class 2, 4 or 5; subject and detail of 1–3 digits).</summary>
    public static bool TryParse(string? value, out EnhancedStatusCode code)
    {
        code = default;
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        var match = ExactPattern().Match(value.Trim());
        return match.Success && TryCreate(match, out code);
    }

    /// <summary>
    /// Finds an enhanced code inside reply text, for servers that did not advertise ENHANCEDSTATUSCODES
    /// but still write one (<c>550 Requested action not taken: 5.1.1 user unknown</c>). The first code in
    /// the text wins; dotted quads such as IP addresses are not mistaken for one.
    /// </summary>
    public static bool TryExtract(string? text, [NotNullWhen(true)] out EnhancedStatusCode? code)
    {
        code = null;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        foreach (Match match in EmbeddedPattern().Matches(text))
        {
            if (TryCreate(match, out var parsed))
            {
                code = parsed;
                return true;
            }
        }

        return false;
    }

    private static bool TryCreate(Match match, out EnhancedStatusCode code)
    {
        code = new EnhancedStatusCode(
            match.Groups["c"].ValueSpan[0] - '0',
            int.Parse(match.Groups["s"].ValueSpan),
            int.Parse(match.Groups["d"].ValueSpan));
        return true;
    }

    [GeneratedRegex(@"^(?<c>[245])\.(?<s>\d{1,3})\.(?<d>\d{1,3})$", RegexOptions.CultureInvariant)]
    private static partial Regex ExactPattern();

    [GeneratedRegex(@"(?<![\w.])(?<c>[245])\.(?<s>\d{1,3})\.(?<d>\d{1,3})(?!\.?\d)(?!\w)", RegexOptions.CultureInvariant)]
    private static partial Regex EmbeddedPattern();
}
