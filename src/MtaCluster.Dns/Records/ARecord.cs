using System.Net;
using System.Net.Sockets;
using MtaCluster.Dns.Protocol;

namespace MtaCluster.Dns.Records;

/// <summary>IPv4 host address (RFC 1035 §3.4.1).</summary>
public sealed class ARecord : DnsResourceRecord
{
    public ARecord(string domainName, int timeToLive, IPAddress address, QueryClass recordClass = QueryClass.IN)
        : base(domainName, QueryType.A, recordClass, timeToLive)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException("An A record holds an IPv4 address.", nameof(address));
        }

        Address = address;
    }

    public IPAddress Address { get; }

    internal override void WriteData(DnsMessageWriter writer)
    {
        Span<byte> bytes = stackalloc byte[4];
        Address.TryWriteBytes(bytes, out _);
        writer.WriteBytes(bytes);
    }

    protected override string DataToString() => Address.ToString();
}
