using MtaCluster.Dns.Protocol;

namespace MtaCluster.Dns.Records;

/// <summary>Alias (RFC 1035 §3.3.1).</summary>
public sealed class CNameRecord : DnsResourceRecord
{
    public CNameRecord(string domainName, int timeToLive, string canonicalName, QueryClass recordClass = QueryClass.IN)
        : base(domainName, QueryType.CNAME, recordClass, timeToLive)
    {
        CanonicalName = DnsName.ToFullyQualified(canonicalName);
    }

    public string CanonicalName { get; }

    internal override void WriteData(DnsMessageWriter writer) => writer.WriteName(CanonicalName);

    protected override string DataToString() => CanonicalName;
}
