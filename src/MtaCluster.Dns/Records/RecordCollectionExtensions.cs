using MtaCluster.Dns.Records;

namespace MtaCluster.Dns;

/// <summary>Typed views over a record section, written as loops to stay allocation-light.</summary>
public static class RecordCollectionExtensions
{
    public static List<T> OfRecordType<T>(this IReadOnlyList<DnsResourceRecord> records)
        where T : DnsResourceRecord
    {
        var result = new List<T>();
        for (int i = 0; i < records.Count; i++)
        {
            if (records[i] is T typed)
            {
                result.Add(typed);
            }
        }

        return result;
    }

    public static List<ARecord> ARecords(this IReadOnlyList<DnsResourceRecord> records) => records.OfRecordType<ARecord>();

    public static List<AaaaRecord> AaaaRecords(this IReadOnlyList<DnsResourceRecord> records) => records.OfRecordType<AaaaRecord>();

    public static List<MxRecord> MxRecords(this IReadOnlyList<DnsResourceRecord> records) => records.OfRecordType<MxRecord>();

    public static List<CNameRecord> CnameRecords(this IReadOnlyList<DnsResourceRecord> records) => records.OfRecordType<CNameRecord>();

    public static List<TxtRecord> TxtRecords(this IReadOnlyList<DnsResourceRecord> records) => records.OfRecordType<TxtRecord>();

    public static List<PtrRecord> PtrRecords(this IReadOnlyList<DnsResourceRecord> records) => records.OfRecordType<PtrRecord>();

    public static List<TlsaRecord> TlsaRecords(this IReadOnlyList<DnsResourceRecord> records) => records.OfRecordType<TlsaRecord>();

    public static List<SoaRecord> SoaRecords(this IReadOnlyList<DnsResourceRecord> records) => records.OfRecordType<SoaRecord>();
}
