using System.Text;

namespace MtaCluster.Smtp.Protocol;

/// <summary>The xtext encoding of RFC 3461 §4: printable ASCII except '+' and '=', others as "+HH".</summary>
public static class XText
{
    public static bool TryDecode(ReadOnlySpan<byte> encoded, out string decoded)
    {
        decoded = "";
        var result = new StringBuilder(encoded.Length);
        for (int i = 0; i < encoded.Length; i++)
        {
            byte b = encoded[i];
            if (b == (byte)'+')
            {
                if (i + 2 >= encoded.Length) return false;
                int hi = HexValue(encoded[i + 1]), lo = HexValue(encoded[i + 2]);
                if (hi < 0 || lo < 0) return false;
                result.Append((char)(hi * 16 + lo));
                i += 2;
            }
            else if (b is >= 33 and <= 126 && b != (byte)'=')
            {
                result.Append((char)b);
            }
            else
            {
                return false;
            }
        }
        decoded = result.ToString();
        return true;
    }

    public static string Encode(string value)
    {
        var result = new StringBuilder(value.Length);
        foreach (byte b in Encoding.UTF8.GetBytes(value))
        {
            if (b is >= 33 and <= 126 && b != (byte)'+' && b != (byte)'=') result.Append((char)b);
            else result.Append('+').Append(b.ToString("X2"));
        }
        return result.ToString();
    }

    // RFC 3461 requires upper-case hex digits.
    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}
