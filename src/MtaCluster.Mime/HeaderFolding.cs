using System.Text;

namespace MtaCluster.Mime;

/// <summary>Folds a field for output (RFC 5322 §2.2.3): break at whitespace so lines keep to 78 characters where they can.</summary>
internal static class HeaderFolding
{
    /// <summary>RFC 5322 §2.1.1: lines SHOULD be at most 78 characters.</summary>
    public const int PreferredLineLength = 78;

    /// <summary>RFC 5322 §2.1.1: lines MUST be at most 998 octets.</summary>
    public const int MaxLineLength = 998;

    public static string Fold(string field, string value)
    {
        var output = new StringBuilder(field.Length + value.Length + 8).Append(field).Append(':');
        int lineLength = output.Length;
        foreach (string word in value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (lineLength + 1 + word.Length > PreferredLineLength && lineLength > field.Length + 1)
            {
                output.Append("\r\n");
                lineLength = 0;
            }

            output.Append(' ').Append(word);
            lineLength += 1 + word.Length;
        }

        return output.Append("\r\n").ToString();
    }
}
