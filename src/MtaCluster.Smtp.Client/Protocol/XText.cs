using System.Buffers;
using System.Text;

namespace MtaCluster.Smtp.Client.Protocol;

/// <summary>The encodings DSN parameters travel in.</summary>
internal static class XText
{
    private static ReadOnlySpan<byte> Hex => "0123456789ABCDEF"u8;

    /// <summary>
    /// RFC 3461 §4: "+" and "=" and octets outside 33-126 become "+HH". Non-ASCII text is taken
    /// as UTF-8 octets, each encoded.
    /// </summary>
    public static void Write(IBufferWriter<byte> writer, string text)
    {
        int max = Encoding.UTF8.GetMaxByteCount(text.Length);
        byte[]? rented = null;
        Span<byte> utf8 = max <= 512 ? stackalloc byte[max] : (rented = ArrayPool<byte>.Shared.Rent(max));
        int length = Encoding.UTF8.GetBytes(text, utf8);
        Span<byte> output = writer.GetSpan(length * 3);
        int o = 0;
        foreach (byte b in utf8[..length])
        {
            if (b is < 33 or > 126 or (byte)'+' or (byte)'=')
            {
                output[o++] = (byte)'+';
                output[o++] = Hex[b >> 4];
                output[o++] = Hex[b & 0xF];
            }
            else
            {
                output[o++] = b;
            }
        }

        writer.Advance(o);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// RFC 6533 §3 utf-8-addr-xtext: printable ASCII except "+", "=" and "\" as is, everything else
    /// as "\x{HEX}" of its Unicode scalar value. Pure ASCII, so any DSN server can carry it.
    /// </summary>
    public static void WriteUtf8AddrXText(IBufferWriter<byte> writer, string address)
    {
        foreach (Rune rune in address.EnumerateRunes())
        {
            int v = rune.Value;
            if (v is >= 0x21 and <= 0x7E && v is not ('+' or '=' or '\\'))
            {
                Span<byte> one = writer.GetSpan(1);
                one[0] = (byte)v;
                writer.Advance(1);
            }
            else
            {
                string escaped = $"\\x{{{v:X}}}";
                Span<byte> span = writer.GetSpan(escaped.Length);
                int n = Encoding.ASCII.GetBytes(escaped, span);
                writer.Advance(n);
            }
        }
    }
}
