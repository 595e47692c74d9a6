using System.Net;
using System.Net.Sockets;
using MtaCluster.Dns.Protocol;

namespace MtaCluster.Dns.Records;

/// <summary>IPv6 host address (RFC 3596 §2.2).</summary>
public sealed class AaaaRecord : DnsResourceRecord
{
    public AaaaRecord(string domainName, int timeToLive, IPAddress address, QueryClass recordClass = QueryClass.IN)
        : base(domainName, QueryType.AAAA, recordClass, timeToLive)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            throw new ArgumentException("An AAAA record holds an IPv6 address.", nameof(address));
        }

        Address = address;
    }

    public IPAddress Address { get; }

    internal override void WriteData(DnsMessageWriter writer)
    {
        Span<byte> bytes = stackalloc byte[16];
        Address.TryWriteBytes(bytes, out _);
        writer.WriteBytes(bytes);
    }

    protected override string DataToString() => Address.ToString();
}
