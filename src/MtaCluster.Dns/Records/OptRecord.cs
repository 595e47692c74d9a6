using MtaCluster.Dns.Protocol;

namespace MtaCluster.Dns.Records;

/// <summary>
/// EDNS(0) pseudo-record (RFC 6891 §6.1). CLASS carries the UDP payload size and TTL carries the
/// extended RCODE, version and DO bit, so they are exposed by name instead.
/// </summary>
public sealed class OptRecord : DnsResourceRecord
{
    public OptRecord(ushort udpPayloadSize, byte extendedResponseCode = 0, byte version = 0, bool dnssecOk = false, ReadOnlyMemory<byte> options = default)
        : base(DnsName.Root, QueryType.OPT, (QueryClass)udpPayloadSize, EncodeTtl(extendedResponseCode, version, dnssecOk))
    {
        UdpPayloadSize = udpPayloadSize;
        ExtendedResponseCode = extendedResponseCode;
        Version = version;
        DnssecOk = dnssecOk;
        Options = options;
    }

    public ushort UdpPayloadSize { get; }

    /// <summary>Upper eight bits of the twelve-bit RCODE.</summary>
    public byte ExtendedResponseCode { get; }

    public byte Version { get; }

    public bool DnssecOk { get; }

    /// <summary>Raw option TLVs (RFC 6891 §6.1.2).</summary>
    public ReadOnlyMemory<byte> Options { get; }

    internal override void WriteData(DnsMessageWriter writer) => writer.WriteBytes(Options.Span);

    protected override string DataToString() => $"udp={UdpPayloadSize} version={Version} do={DnssecOk}";

    private static int EncodeTtl(byte extendedResponseCode, byte version, bool dnssecOk) =>
        (extendedResponseCode << 24) | (version << 16) | (dnssecOk ? 0x8000 : 0);
}
