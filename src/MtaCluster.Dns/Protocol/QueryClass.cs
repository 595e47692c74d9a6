namespace MtaCluster.Dns.Protocol;

/// <summary>Resource record classes (RFC 1035 §3.2.4).</summary>
public enum QueryClass : ushort
{
    IN = 1,
    CH = 3,
    HS = 4,
    ANY = 255,
}
