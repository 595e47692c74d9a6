namespace MtaCluster.Dns.Protocol;

/// <summary>
/// Response codes (RFC 1035 §4.1.1, RFC 6895 §2.3). Values above 15 only occur when an OPT record
/// carries the upper eight bits (RFC 6891 §6.1.3).
/// </summary>
public enum DnsResponseCode : ushort
{
    NoError = 0,
    FormatError = 1,
    ServerFailure = 2,
    NameError = 3,
    NotImplemented = 4,
    Refused = 5,
    YXDomain = 6,
    YXRRSet = 7,
    NXRRSet = 8,
    NotAuthorized = 9,
    NotZone = 10,
    BadVersion = 16,
}
