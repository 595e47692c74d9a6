namespace MtaCluster.Dns.Records;

/// <summary>TLSA matching type field (RFC 6698 §2.1.3).</summary>
public enum TlsaMatchingType : byte
{
    Full = 0,
    Sha256 = 1,
    Sha512 = 2,
}
