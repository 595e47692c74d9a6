using MtaCluster.Dns.Protocol;

namespace MtaCluster.Dns.Records;

/// <summary>
/// DANE certificate association (RFC 6698 §2.1). Unassigned field values are kept as their numeric
/// enum value so that RFC 7672 §3.1.1 "unusable" handling stays with the caller.
/// </summary>
public sealed class TlsaRecord : DnsResourceRecord
{
    public TlsaRecord(
        string domainName,
        int timeToLive,
        TlsaCertificateUsage certificateUsage,
        TlsaSelector selector,
        TlsaMatchingType matchingType,
        ReadOnlyMemory<byte> certificateAssociationData,
        QueryClass recordClass = QueryClass.IN)
        : base(domainName, QueryType.TLSA, recordClass, timeToLive)
    {
        CertificateUsage = certificateUsage;
        Selector = selector;
        MatchingType = matchingType;
        CertificateAssociationData = certificateAssociationData;
    }

    public TlsaCertificateUsage CertificateUsage { get; }

    public TlsaSelector Selector { get; }

    public TlsaMatchingType MatchingType { get; }

    public ReadOnlyMemory<byte> CertificateAssociationData { get; }

    public string CertificateAssociationDataHex => Convert.ToHexString(CertificateAssociationData.Span);

    internal override void WriteData(DnsMessageWriter writer)
    {
        writer.WriteByte((byte)CertificateUsage);
        writer.WriteByte((byte)Selector);
        writer.WriteByte((byte)MatchingType);
        writer.WriteBytes(CertificateAssociationData.Span);
    }

    protected override string DataToString() =>
        $"{(byte)CertificateUsage} {(byte)Selector} {(byte)MatchingType} {CertificateAssociationDataHex}";
}
