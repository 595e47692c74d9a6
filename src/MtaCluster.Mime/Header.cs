using System.Text;

namespace MtaCluster.Mime;

/// <summary>
/// One header field. <see cref="RawField"/> keeps the bytes exactly as read (folding, 8-bit octets, line ends),
/// which DKIM signs; <see cref="Value"/> is decoded only when asked for.
/// </summary>
public sealed class Header
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);
    private string? _value;

    /// <summary>A parsed field: <paramref name="rawField"/> is the whole field up to and including its last line end.</summary>
    internal Header(string field, byte[] rawField, int valueOffset)
    {
        Field = field;
        RawField = rawField;
        ValueOffset = valueOffset;
    }

    /// <summary>A new field, folded for output (RFC 5322 §2.2.3); non-ASCII text is left to the caller to encode.</summary>
    public Header(string field, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(field);
        ArgumentNullException.ThrowIfNull(value);
        if (field.Any(c => c is <= ' ' or > '~' or ':'))
        {
            throw new ArgumentException("RFC 5322 §3.6.8: a field name is printable ASCII without ':'.", nameof(field));
        }

        Field = field;
        string folded = HeaderFolding.Fold(field, value);
        RawField = Encoding.UTF8.GetBytes(folded);
        ValueOffset = field.Length + 1;
        _value = value;
    }

    public string Field { get; }

    /// <summary>The field's bytes as they came, name and line ends included.</summary>
    public byte[] RawField { get; }

    /// <summary>Where the value starts in <see cref="RawField"/>: just after the colon.</summary>
    public int ValueOffset { get; }

    /// <summary>The raw value (after the colon, line ends included), as DKIM's relaxed canonicalization reads it.</summary>
    public ReadOnlySpan<byte> RawValue => RawField.AsSpan(ValueOffset);

    /// <summary>The value unfolded, trimmed and with RFC 2047 encoded words decoded; 8-bit octets read as UTF-8, else Latin-1.</summary>
    public string Value => _value ??= Rfc2047.DecodeText(Unfold(RawValue));

    /// <summary>The unfolded value without decoding encoded words: what structured parsers (addresses, parameters) read.</summary>
    public string UnfoldedValue => Unfold(RawValue);

    public override string ToString() => $"{Field}: {Value}";

    internal static string Unfold(ReadOnlySpan<byte> raw)
    {
        string text;
        try
        {
            text = StrictUtf8.GetString(raw);
        }
        catch (DecoderFallbackException)
        {
            // RFC 6532 allows UTF-8; anything else 8-bit is a legacy charset we cannot name, and Latin-1 keeps every octet.
            text = Encoding.Latin1.GetString(raw);
        }

        var unfolded = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            if (c is not ('\r' or '\n'))
            {
                unfolded.Append(c);
            }
        }

        return unfolded.ToString().Trim(' ', '\t');
    }
}
