using System.Net;
using MtaCluster.Dns.Protocol;

namespace MtaCluster.Dns;

/// <summary>Stub resolver. Failures surface only as <see cref="DnsException"/> subclasses or, on caller cancellation, <see cref="OperationCanceledException"/>.</summary>
public interface ILookupClient
{
    IReadOnlyList<IPEndPoint> NameServers { get; }

    Task<IDnsQueryResponse> QueryAsync(string query, QueryType queryType, CancellationToken cancellationToken = default);

    Task<IDnsQueryResponse> QueryAsync(string query, QueryType queryType, QueryClass queryClass, CancellationToken cancellationToken = default);

    Task<IDnsQueryResponse> QueryAsync(DnsQuestion question, CancellationToken cancellationToken = default);

    /// <summary>PTR lookup under in-addr.arpa or ip6.arpa (RFC 1035 §3.5, RFC 3596 §2.5).</summary>
    Task<IDnsQueryResponse> QueryReverseAsync(IPAddress address, CancellationToken cancellationToken = default);
}
