using System.Text;

namespace MtaCluster.Mime;

/// <summary>RFC 2045 §6.7 quoted-printable of UTF-8 text: CRLF line breaks kept as hard breaks, soft breaks by 76.</summary>
internal static class QuotedPrintable
{
    private const int MaxLineLength = 76;

    public static string Encode(string text)
    {
        var output = new StringBuilder(text.Length * 2);
        string[] lines = text.Replace("\r\n", "\n").Split('\n');
        for (int l = 0; l < lines.Length; l++)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(lines[l]);
            int lineLength = 0;
            for (int i = 0; i < bytes.Length; i++)
            {
                byte b = bytes[i];
                bool last = i == bytes.Length - 1;
                // Rule 3: whitespace at the end of a line is encoded, or transport may strip it.
                string piece = (b is >= 33 and <= 126 && b != '=') || (b is (byte)' ' or (byte)'\t' && !last)
                    ? ((char)b).ToString()
                    : "=" + b.ToString("X2");
                if (lineLength + piece.Length > MaxLineLength - 1)
                {
                    output.Append("=\r\n");
                    lineLength = 0;
                }

                output.Append(piece);
                lineLength += piece.Length;
            }

            if (l < lines.Length - 1)
            {
                output.Append("\r\n");
            }
        }

        return output.ToString();
    }
}
