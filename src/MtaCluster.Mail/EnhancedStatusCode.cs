using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace MtaCluster.Mail;

/// <summary>
/// An RFC 3463 enhanced status code, <c>class.subject.detail</c>: class 2, 4 or 5 (success,
/// persistent transient failure, permanent failure), subject and detail of one to three digits.
/// </summary>
/// <remarks><c>default</c> is 0.0.0, which is not a code; every constructed or parsed value is valid.</remarks>
public readonly partial record struct EnhancedStatusCode
{
    public EnhancedStatusCode(int @class, int subject, int detail)
    {
        if (@class is not (2 or 4 or 5))
        {
            throw new ArgumentOutOfRangeException(nameof(@class), @class, "RFC 3463 §3.1: the class is 2, 4 or 5.");
        }

        if (subject is < 0 or > 999)
        {
            throw new ArgumentOutOfRangeException(nameof(subject), subject, "RFC 3463 §2: the subject has one to three digits.");
        }

        if (detail is < 0 or > 999)
        {
            throw new ArgumentOutOfRangeException(nameof(detail), detail, "RFC 3463 §2: the detail has one to three digits.");
        }

        Class = @class;
        Subject = subject;
        Detail = detail;
    }

    public int Class { get; }

    public int Subject { get; }

    public int Detail { get; }

    /// <summary>Class 2.</summary>
    public bool IsSuccess => Class == 2;

    /// <summary>Class 4: persistent transient failure, try again.</summary>
    public bool IsTransient => Class == 4;

    /// <summary>Class 5: permanent failure.</summary>
    public bool IsPermanent => Class == 5;

    /// <summary>The same subject and detail in another class, e.g. 4.3.0 made final as 5.3.0.</summary>
    public EnhancedStatusCode WithClass(int @class) => new(@class, Subject, Detail);

    public override string ToString() => $"{Class}.{Subject}.{Detail}";

    /// <exception cref="FormatException">Not exactly one enhanced status code.</exception>
    public static EnhancedStatusCode Parse(string value) =>
        TryParse(value, out EnhancedStatusCode code) ? code : throw new FormatException($"'{value}' is not an RFC 3463 enhanced status code.");

    /// <summary>Parses exactly one code; white space around it is ignored.</summary>
    public static bool TryParse([NotNullWhen(true)] string? value, out EnhancedStatusCode code)
    {
        code = default;
        return value is not null && TryParse(value.AsSpan().Trim(), out code);
    }

    public static bool TryParse(ReadOnlySpan<char> value, out EnhancedStatusCode code)
    {
        code = default;
        if (value.Length < 5 || value[0] is not ('2' or '4' or '5') || value[1] != '.')
        {
            return false;
        }

        int i = 2;
        if (!TryReadNumber(value, ref i, out int subject) || i >= value.Length || value[i] != '.')
        {
            return false;
        }

        i++;
        if (!TryReadNumber(value, ref i, out int detail) || i != value.Length)
        {
            return false;
        }

        code = new EnhancedStatusCode(value[0] - '0', subject, detail);
        return true;
    }

    /// <summary>Parses exactly one code from ASCII octets, as a reply reader finds it on the wire.</summary>
    public static bool TryParse(ReadOnlySpan<byte> ascii, out EnhancedStatusCode code)
    {
        Span<char> chars = stackalloc char[Math.Min(ascii.Length, 16)];
        if (ascii.Length > chars.Length)
        {
            code = default;
            return false;
        }

        for (int i = 0; i < ascii.Length; i++)
        {
            chars[i] = (char)ascii[i];
        }

        return TryParse(chars, out code);
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

        Match match = EmbeddedPattern().Match(text);
        if (!match.Success)
        {
            return false;
        }

        code = new EnhancedStatusCode(match.Groups["c"].ValueSpan[0] - '0', int.Parse(match.Groups["s"].ValueSpan), int.Parse(match.Groups["d"].ValueSpan));
        return true;
    }

    private static bool TryReadNumber(ReadOnlySpan<char> value, ref int i, out int number)
    {
        number = 0;
        int start = i;
        while (i < value.Length && char.IsAsciiDigit(value[i]))
        {
            if (i - start == 3)
            {
                return false;
            }

            number = (number * 10) + (value[i] - '0');
            i++;
        }

        return i > start;
    }

    [GeneratedRegex(@"(?<![\w.])(?<c>[245])\.(?<s>\d{1,3})\.(?<d>\d{1,3})(?!\.?\d)(?!\w)", RegexOptions.CultureInvariant)]
    private static partial Regex EmbeddedPattern();
}
