using MtaCluster.Dns.Protocol;

namespace MtaCluster.Dns.Records;

/// <summary>Start of authority (RFC 1035 §3.3.13); its MINIMUM bounds negative caching (RFC 2308 §5).</summary>
public sealed class SoaRecord : DnsResourceRecord
{
    public SoaRecord(
        string domainName,
        int timeToLive,
        string mName,
        string rName,
        uint serial,
        uint refresh,
        uint retry,
        uint expire,
        uint minimum,
        QueryClass recordClass = QueryClass.IN)
        : base(domainName, QueryType.SOA, recordClass, timeToLive)
    {
        MName = DnsName.ToFullyQualified(mName);
        RName = DnsName.ToFullyQualified(rName);
        Serial = serial;
        Refresh = refresh;
        Retry = retry;
        Expire = expire;
        Minimum = minimum;
    }

    public string MName { get; }

    public string RName { get; }

    public uint Serial { get; }

    public uint Refresh { get; }

    public uint Retry { get; }

    public uint Expire { get; }

    public uint Minimum { get; }

    internal override void WriteData(DnsMessageWriter writer)
    {
        writer.WriteName(MName);
        writer.WriteName(RName);
        writer.WriteUInt32(Serial);
        writer.WriteUInt32(Refresh);
        writer.WriteUInt32(Retry);
        writer.WriteUInt32(Expire);
        writer.WriteUInt32(Minimum);
    }

    protected override string DataToString() => $"{MName} {RName} {Serial} {Refresh} {Retry} {Expire} {Minimum}";
}
