namespace MtaCluster.Dns.Protocol;

/// <summary>Resource record types (RFC 1035 §3.2.2 and later registrations) that the resolver understands.</summary>
public enum QueryType : ushort
{
    A = 1,
    NS = 2,
    CNAME = 5,
    SOA = 6,
    PTR = 12,
    MX = 15,
    TXT = 16,
    AAAA = 28,
    SRV = 33,
    OPT = 41,
    TLSA = 52,
    ANY = 255,
}
