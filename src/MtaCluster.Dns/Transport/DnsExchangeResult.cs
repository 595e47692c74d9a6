using MtaCluster.Dns.Protocol;

namespace MtaCluster.Dns.Transport;

internal readonly record struct DnsExchangeResult(DnsMessage Message, int Size);
