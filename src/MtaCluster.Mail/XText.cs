using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace MtaCluster.Mail;

/// <summary>
/// The encodings DSN parameters travel in: xtext (RFC 3461 §4) for ENVID and ORCPT, and the
/// utf-8-addr-xtext form of an internationalised ORCPT address (RFC 6533 §3).
/// </summary>
/// <remarks>
/// Text is UTF-8 on both sides: encoding writes "+HH" for every UTF-8 octet outside "!"–"~" and for
/// "+" and "="; decoding turns "+HH" back into octets and reads the octets as UTF-8. Reading "+HH"
/// as one Latin-1 character instead would change a non-ASCII ORCPT on every relay hop.
/// </remarks>
public static class XText
{
    private const int StackLimit = 512;

    private static ReadOnlySpan<byte> Hex => "0123456789ABCDEF"u8;

    /// <summary>RFC 3461 §4 xtext of <paramref name="text"/>'s UTF-8 octets.</summary>
    public static string Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var buffer = new ArrayBufferWriter<byte>(text.Length + 16);
        Encode(buffer, text);
        return Encoding.ASCII.GetString(buffer.WrittenSpan);
    }

    /// <summary>Writes the xtext of <paramref name="text"/> straight into a command buffer.</summary>
    public static void Encode(IBufferWriter<byte> writer, string text)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(text);
        int max = Encoding.UTF8.GetMaxByteCount(text.Length);
        byte[]? rented = null;
        Span<byte> utf8 = max <= StackLimit ? stackalloc byte[max] : (rented = ArrayPool<byte>.Shared.Rent(max));
        int length = Encoding.UTF8.GetBytes(text, utf8);
        Span<byte> output = writer.GetSpan(length * 3);
        int o = 0;
        foreach (byte b in utf8[..length])
        {
            if (IsXChar(b))
            {
                output[o++] = b;
            }
            else
            {
                output[o++] = (byte)'+';
                output[o++] = Hex[b >> 4];
                output[o++] = Hex[b & 0xF];
            }
        }

        writer.Advance(o);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Decodes xtext; the octets it stands for must be UTF-8.</summary>
    /// <exception cref="XTextFormatException">Not xtext, or not UTF-8 once decoded.</exception>
    public static string Decode(ReadOnlySpan<byte> encoded)
    {
        if (!TryDecode(encoded, out string? decoded, out XTextError error, out int position))
        {
            throw new XTextFormatException(error, position);
        }

        return decoded;
    }

    /// <inheritdoc cref="Decode(ReadOnlySpan{byte})"/>
    public static string Decode(string encoded)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        return Decode(Encoding.UTF8.GetBytes(encoded));
    }

    public static bool TryDecode(ReadOnlySpan<byte> encoded, [NotNullWhen(true)] out string? decoded) =>
        TryDecode(encoded, out decoded, out _, out _);

    public static bool TryDecode(ReadOnlySpan<byte> encoded, [NotNullWhen(true)] out string? decoded, out XTextError error, out int position)
    {
        decoded = null;
        byte[]? rented = null;
        Span<byte> octets = encoded.Length <= StackLimit ? stackalloc byte[encoded.Length] : (rented = ArrayPool<byte>.Shared.Rent(encoded.Length));
        try
        {
            int n = 0;
            for (int i = 0; i < encoded.Length; i++)
            {
                byte b = encoded[i];
                if (b == (byte)'+')
                {
                    if (i + 2 >= encoded.Length)
                    {
                        (error, position) = (XTextError.TruncatedHexChar, i);
                        return false;
                    }

                    int hi = HexValue(encoded[i + 1]);
                    int lo = HexValue(encoded[i + 2]);
                    if (hi < 0 || lo < 0)
                    {
                        (error, position) = (XTextError.InvalidHexDigit, i);
                        return false;
                    }

                    octets[n++] = (byte)((hi << 4) | lo);
                    i += 2;
                }
                else if (b is >= 33 and <= 126 && b != (byte)'=')
                {
                    octets[n++] = b;
                }
                else
                {
                    (error, position) = (XTextError.InvalidCharacter, i);
                    return false;
                }
            }

            if (!System.Text.Unicode.Utf8.IsValid(octets[..n]))
            {
                (error, position) = (XTextError.InvalidUtf8, 0);
                return false;
            }

            decoded = Encoding.UTF8.GetString(octets[..n]);
            (error, position) = (default, -1);
            return true;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// RFC 6533 §3 utf-8-addr-xtext: printable ASCII except "+", "=" and "\" as is, every other
    /// character as "\x{HEX}" of its Unicode scalar value. Pure ASCII and valid xtext, so a DSN
    /// server without SMTPUTF8 can carry an internationalised ORCPT.
    /// </summary>
    public static string EncodeUtf8Address(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var buffer = new ArrayBufferWriter<byte>(address.Length + 16);
        EncodeUtf8Address(buffer, address);
        return Encoding.ASCII.GetString(buffer.WrittenSpan);
    }

    /// <inheritdoc cref="EncodeUtf8Address(string)"/>
    public static void EncodeUtf8Address(IBufferWriter<byte> writer, string address)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(address);
        foreach (Rune rune in address.EnumerateRunes())
        {
            int v = rune.Value;
            if (v is >= 0x21 and <= 0x7E && v is not ('+' or '=' or '\\'))
            {
                Span<byte> one = writer.GetSpan(1);
                one[0] = (byte)v;
                writer.Advance(1);
                continue;
            }

            // RFC 6533 §3 HEXPOINT: upper-case, at least two digits, no further leading zeros.
            Span<byte> span = writer.GetSpan(10);
            "\\x{"u8.CopyTo(span);
            int o = 3;
            int digits = v > 0xFFFFF ? 6 : v > 0xFFFF ? 5 : v > 0xFFF ? 4 : v > 0xFF ? 3 : 2;
            for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4)
            {
                span[o++] = Hex[(v >> shift) & 0xF];
            }

            span[o++] = (byte)'}';
            writer.Advance(o);
        }
    }

    /// <summary>Decodes RFC 6533 §3 utf-8-addr-xtext (the "\x{HEX}" escapes; "+HH" is not part of it).</summary>
    /// <exception cref="XTextFormatException">Not utf-8-addr-xtext.</exception>
    public static string DecodeUtf8Address(string encoded)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        var result = new StringBuilder(encoded.Length);
        for (int i = 0; i < encoded.Length; i++)
        {
            char c = encoded[i];
            if (c == '\\')
            {
                int close = encoded.IndexOf('}', i);
                int digitCount = close - i - 3;
                if (close < 0 || digitCount is < 1 or > 6 || encoded[i + 1] != 'x' || encoded[i + 2] != '{')
                {
                    throw new XTextFormatException(XTextError.InvalidEscape, i);
                }

                int value = 0;
                for (int j = i + 3; j < close; j++)
                {
                    int digit = HexValue((byte)Math.Min(encoded[j], (char)0xFF));
                    if (digit < 0)
                    {
                        throw new XTextFormatException(XTextError.InvalidEscape, i);
                    }

                    value = (value << 4) | digit;
                }

                if (!Rune.TryCreate(value, out Rune rune))
                {
                    throw new XTextFormatException(XTextError.InvalidEscape, i);
                }

                result.Append(rune.ToString());
                i = close;
            }
            else if (c is >= '!' and <= '~' && c is not ('+' or '='))
            {
                result.Append(c);
            }
            else
            {
                throw new XTextFormatException(XTextError.InvalidCharacter, i);
            }
        }

        return result.ToString();
    }

    private static bool IsXChar(byte b) => b is >= 33 and <= 126 && b is not ((byte)'+' or (byte)'=');

    // RFC 3461 §4: "two upper case hexadecimal digits".
    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}
