namespace MtaCluster.Dns.Records;

/// <summary>TLSA selector field (RFC 6698 §2.1.2).</summary>
public enum TlsaSelector : byte
{
    FullCertificate = 0,
    SubjectPublicKeyInfo = 1,
}
