using MtaCluster.Mail;
namespace MtaCluster.Smtp.Client.Protocol;

/// <summary>What the server announced in its EHLO reply (RFC 5321 §4.1.1.1).</summary>
public sealed class SmtpCapabilities
{
    /// <summary>A HELO server (RFC 5321 §3.2): no extensions at all.</summary>
    public static readonly SmtpCapabilities None = new(SmtpExtensions.None, null, Array.Empty<string>());

    public SmtpCapabilities(SmtpExtensions extensions, long? maxMessageSize, IReadOnlyList<string> keywords)
    {
        Extensions = extensions;
        MaxMessageSize = maxMessageSize;
        Keywords = keywords;
    }

    public SmtpExtensions Extensions { get; }

    /// <summary>
    /// The SIZE limit in octets (RFC 1870 §4); null when SIZE was not announced or announced
    /// without a number or as 0, which means "no fixed limit".
    /// </summary>
    public long? MaxMessageSize { get; }

    /// <summary>Every EHLO line after the first, as sent (upper-cased keyword and its parameters).</summary>
    public IReadOnlyList<string> Keywords { get; }

    public bool Supports(SmtpExtensions extension) => (Extensions & extension) == extension;

    public override string ToString() => Extensions.ToString();

    /// <summary>Reads the keywords of a 250 EHLO reply; the first line is the server's name and greeting.</summary>
    public static SmtpCapabilities Parse(SmtpReply ehloReply)
    {
        IReadOnlyList<string> lines = ehloReply.Lines;
        var keywords = new List<string>(lines.Count);
        SmtpExtensions extensions = SmtpExtensions.None;
        long? maxSize = null;

        for (int i = 1; i < lines.Count; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0)
            {
                continue;
            }

            keywords.Add(line);
            int space = line.IndexOf(' ');
            string keyword = space < 0 ? line : line[..space];
            string parameters = space < 0 ? string.Empty : line[(space + 1)..].Trim();

            switch (keyword.ToUpperInvariant())
            {
                case "PIPELINING":
                    extensions |= SmtpExtensions.Pipelining;
                    break;
                case "SIZE":
                    extensions |= SmtpExtensions.Size;
                    if (long.TryParse(parameters, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long size) && size > 0)
                    {
                        maxSize = size;
                    }

                    break;
                case "8BITMIME":
                    extensions |= SmtpExtensions.EightBitMime;
                    break;
                case "SMTPUTF8":
                    extensions |= SmtpExtensions.SmtpUtf8;
                    break;
                case "DSN":
                    extensions |= SmtpExtensions.Dsn;
                    break;
                case "STARTTLS":
                    extensions |= SmtpExtensions.StartTls;
                    break;
                case "ENHANCEDSTATUSCODES":
                    extensions |= SmtpExtensions.EnhancedStatusCodes;
                    break;
                case "CHUNKING":
                    extensions |= SmtpExtensions.Chunking;
                    break;
            }
        }

        return new SmtpCapabilities(extensions, maxSize, keywords);
    }
}
