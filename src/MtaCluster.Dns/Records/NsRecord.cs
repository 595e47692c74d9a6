using MtaCluster.Dns.Protocol;

namespace MtaCluster.Dns.Records;

/// <summary>Authoritative name server (RFC 1035 §3.3.11).</summary>
public sealed class NsRecord : DnsResourceRecord
{
    public NsRecord(string domainName, int timeToLive, string nameServer, QueryClass recordClass = QueryClass.IN)
        : base(domainName, QueryType.NS, recordClass, timeToLive)
    {
        NameServer = DnsName.ToFullyQualified(nameServer);
    }

    public string NameServer { get; }

    internal override void WriteData(DnsMessageWriter writer) => writer.WriteName(NameServer);

    protected override string DataToString() => NameServer;
}
