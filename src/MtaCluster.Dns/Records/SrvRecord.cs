using MtaCluster.Dns.Protocol;

namespace MtaCluster.Dns.Records;

/// <summary>Service location (RFC 2782).</summary>
public sealed class SrvRecord : DnsResourceRecord
{
    public SrvRecord(string domainName, int timeToLive, ushort priority, ushort weight, ushort port, string target, QueryClass recordClass = QueryClass.IN)
        : base(domainName, QueryType.SRV, recordClass, timeToLive)
    {
        Priority = priority;
        Weight = weight;
        Port = port;
        Target = DnsName.ToFullyQualified(target);
    }

    public ushort Priority { get; }

    public ushort Weight { get; }

    public ushort Port { get; }

    public string Target { get; }

    internal override void WriteData(DnsMessageWriter writer)
    {
        writer.WriteUInt16(Priority);
        writer.WriteUInt16(Weight);
        writer.WriteUInt16(Port);
        // RFC 2782: the target is never compressed.
        writer.WriteName(Target, compress: false);
    }

    protected override string DataToString() => $"{Priority} {Weight} {Port} {Target}";
}
