using System.Net;
using System.Text;
using MtaCluster.Dns.Records;

namespace MtaCluster.Dns.Protocol;

/// <summary>Decodes one resource record, insisting that typed RDATA consumes exactly RDLENGTH octets.</summary>
internal static class ResourceRecordReader
{
    public static DnsResourceRecord Read(ref DnsMessageReader reader)
    {
        string name = reader.ReadName();
        var type = (QueryType)reader.ReadUInt16();
        ushort rawClass = reader.ReadUInt16();
        uint rawTtl = reader.ReadUInt32();
        int dataLength = reader.ReadUInt16();
        if (dataLength > reader.Remaining)
        {
            throw DnsMessageReader.Malformed("RDLENGTH exceeds the message");
        }

        int end = reader.Position + dataLength;
        var recordClass = (QueryClass)rawClass;

        // RFC 2181 §8: a TTL with the most significant bit set is treated as zero.
        int ttl = rawTtl > int.MaxValue ? 0 : (int)rawTtl;

        DnsResourceRecord record = type switch
        {
            QueryType.A => ReadA(ref reader, name, ttl, recordClass, dataLength),
            QueryType.AAAA => ReadAaaa(ref reader, name, ttl, recordClass, dataLength),
            QueryType.CNAME => new CNameRecord(name, ttl, reader.ReadName(), recordClass),
            QueryType.NS => new NsRecord(name, ttl, reader.ReadName(), recordClass),
            QueryType.PTR => new PtrRecord(name, ttl, reader.ReadName(), recordClass),
            QueryType.MX => new MxRecord(name, ttl, reader.ReadUInt16(), reader.ReadName(), recordClass),
            QueryType.TXT => ReadTxt(ref reader, name, ttl, recordClass, end),
            QueryType.SOA => new SoaRecord(
                name, ttl, reader.ReadName(), reader.ReadName(),
                reader.ReadUInt32(), reader.ReadUInt32(), reader.ReadUInt32(), reader.ReadUInt32(), reader.ReadUInt32(),
                recordClass),
            QueryType.SRV => new SrvRecord(name, ttl, reader.ReadUInt16(), reader.ReadUInt16(), reader.ReadUInt16(), reader.ReadName(), recordClass),
            QueryType.TLSA => ReadTlsa(ref reader, name, ttl, recordClass, dataLength),
            QueryType.OPT => ReadOpt(ref reader, name, rawClass, rawTtl, dataLength),
            _ => new UnknownRecord(name, type, ttl, reader.ReadBytes(dataLength).ToArray(), recordClass),
        };

        if (reader.Position != end)
        {
            throw DnsMessageReader.Malformed($"{type} RDATA does not match RDLENGTH");
        }

        return record;
    }

    private static ARecord ReadA(ref DnsMessageReader reader, string name, int ttl, QueryClass recordClass, int dataLength)
    {
        if (dataLength != 4)
        {
            throw DnsMessageReader.Malformed("A RDATA is not four octets");
        }

        return new ARecord(name, ttl, new IPAddress(reader.ReadBytes(4)), recordClass);
    }

    private static AaaaRecord ReadAaaa(ref DnsMessageReader reader, string name, int ttl, QueryClass recordClass, int dataLength)
    {
        if (dataLength != 16)
        {
            throw DnsMessageReader.Malformed("AAAA RDATA is not sixteen octets");
        }

        return new AaaaRecord(name, ttl, new IPAddress(reader.ReadBytes(16)), recordClass);
    }

    private static TxtRecord ReadTxt(ref DnsMessageReader reader, string name, int ttl, QueryClass recordClass, int end)
    {
        var strings = new List<string>(1);
        while (reader.Position < end)
        {
            int length = reader.ReadByte();
            if (reader.Position + length > end)
            {
                throw DnsMessageReader.Malformed("TXT string runs past RDLENGTH");
            }

            strings.Add(Encoding.UTF8.GetString(reader.ReadBytes(length)));
        }

        return new TxtRecord(name, ttl, strings, recordClass);
    }

    private static TlsaRecord ReadTlsa(ref DnsMessageReader reader, string name, int ttl, QueryClass recordClass, int dataLength)
    {
        if (dataLength < 3)
        {
            throw DnsMessageReader.Malformed("TLSA RDATA shorter than three octets");
        }

        var usage = (TlsaCertificateUsage)reader.ReadByte();
        var selector = (TlsaSelector)reader.ReadByte();
        var matching = (TlsaMatchingType)reader.ReadByte();
        byte[] data = reader.ReadBytes(dataLength - 3).ToArray();
        return new TlsaRecord(name, ttl, usage, selector, matching, data, recordClass);
    }

    private static OptRecord ReadOpt(ref DnsMessageReader reader, string name, ushort rawClass, uint rawTtl, int dataLength)
    {
        // RFC 6891 §6.1.2: the OPT owner name must be the root.
        if (!DnsName.IsRoot(name))
        {
            throw DnsMessageReader.Malformed("OPT record owner is not the root");
        }

        byte[] options = reader.ReadBytes(dataLength).ToArray();
        return new OptRecord(
            udpPayloadSize: rawClass,
            extendedResponseCode: (byte)(rawTtl >> 24),
            version: (byte)(rawTtl >> 16),
            dnssecOk: (rawTtl & 0x8000) != 0,
            options: options);
    }
}
