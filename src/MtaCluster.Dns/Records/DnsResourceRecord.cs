using MtaCluster.Dns.Protocol;

namespace MtaCluster.Dns.Records;

/// <summary>A resource record (RFC 1035 §4.1.3); subclasses carry the typed RDATA.</summary>
public abstract class DnsResourceRecord
{
    protected DnsResourceRecord(string domainName, QueryType recordType, QueryClass recordClass, int timeToLive)
    {
        ArgumentNullException.ThrowIfNull(domainName);
        DomainName = DnsName.ToFullyQualified(domainName);
        RecordType = recordType;
        RecordClass = recordClass;
        TimeToLive = timeToLive;
    }

    /// <summary>Owner name, fully qualified with the trailing dot.</summary>
    public string DomainName { get; }

    public QueryType RecordType { get; }

    public QueryClass RecordClass { get; }

    /// <summary>Seconds, as received. RFC 2181 §8: values with the top bit set are read as zero.</summary>
    public int TimeToLive { get; }

    internal abstract void WriteData(DnsMessageWriter writer);

    protected abstract string DataToString();

    public override string ToString() => $"{DomainName} {TimeToLive} {RecordClass} {RecordType} {DataToString()}";
}
