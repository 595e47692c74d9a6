namespace MtaCluster.Dns.Protocol;

/// <summary>Header OPCODE values (RFC 1035 §4.1.1, RFC 1996, RFC 2136).</summary>
public enum DnsOpCode : byte
{
    Query = 0,
    InverseQuery = 1,
    Status = 2,
    Notify = 4,
    Update = 5,
}
