namespace MtaCluster.Dns.Records;

/// <summary>TLSA certificate usage field (RFC 6698 §2.1.1, names from RFC 7218).</summary>
public enum TlsaCertificateUsage : byte
{
    PkixTA = 0,
    PkixEE = 1,
    DaneTA = 2,
    DaneEE = 3,
}
