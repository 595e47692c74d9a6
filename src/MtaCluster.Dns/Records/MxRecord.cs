using MtaCluster.Dns.Protocol;

namespace MtaCluster.Dns.Records;

/// <summary>Mail exchanger (RFC 1035 §3.3.9). An <see cref="Exchange"/> of "." is a null MX (RFC 7505).</summary>
public sealed class MxRecord : DnsResourceRecord
{
    public MxRecord(string domainName, int timeToLive, ushort preference, string exchange, QueryClass recordClass = QueryClass.IN)
        : base(domainName, QueryType.MX, recordClass, timeToLive)
    {
        Preference = preference;
        Exchange = DnsName.ToFullyQualified(exchange);
    }

    public ushort Preference { get; }

    /// <summary>Target host, fully qualified with the trailing dot.</summary>
    public string Exchange { get; }

    public bool IsNullMx => DnsName.IsRoot(Exchange);

    internal override void WriteData(DnsMessageWriter writer)
    {
        writer.WriteUInt16(Preference);
        writer.WriteName(Exchange);
    }

    protected override string DataToString() => $"{Preference} {Exchange}";
}
