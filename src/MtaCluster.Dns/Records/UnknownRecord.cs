using MtaCluster.Dns.Protocol;

namespace MtaCluster.Dns.Records;

/// <summary>A type without a typed model, kept as opaque RDATA (RFC 3597 §5).</summary>
public sealed class UnknownRecord : DnsResourceRecord
{
    public UnknownRecord(string domainName, QueryType recordType, int timeToLive, ReadOnlyMemory<byte> data, QueryClass recordClass = QueryClass.IN)
        : base(domainName, recordType, recordClass, timeToLive)
    {
        Data = data;
    }

    public ReadOnlyMemory<byte> Data { get; }

    internal override void WriteData(DnsMessageWriter writer) => writer.WriteBytes(Data.Span);

    protected override string DataToString() => $"\\# {Data.Length} {Convert.ToHexString(Data.Span)}";
}
