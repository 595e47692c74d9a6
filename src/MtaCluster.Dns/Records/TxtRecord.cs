using System.Text;
using MtaCluster.Dns.Protocol;

namespace MtaCluster.Dns.Records;

/// <summary>
/// Text strings (RFC 1035 §3.3.14). Each character-string is kept separately because SPF and DKIM
/// concatenate them while other consumers do not; octets are decoded as UTF-8.
/// </summary>
public sealed class TxtRecord : DnsResourceRecord
{
    public TxtRecord(string domainName, int timeToLive, IReadOnlyList<string> text, QueryClass recordClass = QueryClass.IN)
        : base(domainName, QueryType.TXT, recordClass, timeToLive)
    {
        ArgumentNullException.ThrowIfNull(text);
        Text = text;
    }

    public IReadOnlyList<string> Text { get; }

    internal override void WriteData(DnsMessageWriter writer)
    {
        foreach (string s in Text)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(s);
            if (bytes.Length > 255)
            {
                throw new DnsException("A TXT character-string is limited to 255 octets.");
            }

            writer.WriteByte((byte)bytes.Length);
            writer.WriteBytes(bytes);
        }
    }

    protected override string DataToString()
    {
        var builder = new StringBuilder();
        foreach (string s in Text)
        {
            if (builder.Length > 0)
            {
                builder.Append(' ');
            }

            builder.Append('"').Append(s.Replace("\\", "\\\\").Replace("\"", "\\\"")).Append('"');
        }

        return builder.ToString();
    }
}
