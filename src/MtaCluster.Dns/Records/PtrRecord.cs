using MtaCluster.Dns.Protocol;

namespace MtaCluster.Dns.Records;

/// <summary>Reverse-mapping pointer (RFC 1035 §3.3.12).</summary>
public sealed class PtrRecord : DnsResourceRecord
{
    public PtrRecord(string domainName, int timeToLive, string ptrDomainName, QueryClass recordClass = QueryClass.IN)
        : base(domainName, QueryType.PTR, recordClass, timeToLive)
    {
        PtrDomainName = DnsName.ToFullyQualified(ptrDomainName);
    }

    public string PtrDomainName { get; }

    internal override void WriteData(DnsMessageWriter writer) => writer.WriteName(PtrDomainName);

    protected override string DataToString() => PtrDomainName;
}
