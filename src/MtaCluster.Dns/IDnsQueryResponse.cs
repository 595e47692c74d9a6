using System.Net;
using MtaCluster.Dns.Protocol;
using MtaCluster.Dns.Records;

namespace MtaCluster.Dns;

/// <summary>A decoded answer together with the server that sent it.</summary>
public interface IDnsQueryResponse
{
    DnsHeader Header { get; }

    IReadOnlyList<DnsQuestion> Questions { get; }

    IReadOnlyList<DnsResourceRecord> Answers { get; }

    IReadOnlyList<DnsResourceRecord> Authorities { get; }

    IReadOnlyList<DnsResourceRecord> Additionals { get; }

    OptRecord? Opt { get; }

    /// <summary>True when RCODE is not NOERROR.</summary>
    bool HasError { get; }

    string ErrorMessage { get; }

    IPEndPoint NameServer { get; }

    /// <summary>Octets of the response as received.</summary>
    int MessageSize { get; }
}
