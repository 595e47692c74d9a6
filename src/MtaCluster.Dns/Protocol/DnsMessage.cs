using MtaCluster.Dns.Records;

namespace MtaCluster.Dns.Protocol;

/// <summary>A complete DNS message (RFC 1035 §4.1) in decoded form, with encoder and decoder.</summary>
public sealed class DnsMessage
{
    public required DnsHeader Header { get; init; }

    public IReadOnlyList<DnsQuestion> Questions { get; init; } = Array.Empty<DnsQuestion>();

    public IReadOnlyList<DnsResourceRecord> Answers { get; init; } = Array.Empty<DnsResourceRecord>();

    public IReadOnlyList<DnsResourceRecord> Authorities { get; init; } = Array.Empty<DnsResourceRecord>();

    /// <summary>Additional records, without the OPT pseudo-record (see <see cref="Opt"/>).</summary>
    public IReadOnlyList<DnsResourceRecord> Additionals { get; init; } = Array.Empty<DnsResourceRecord>();

    /// <summary>The EDNS(0) record when present (RFC 6891 §6.1.1 allows at most one).</summary>
    public OptRecord? Opt { get; init; }

    /// <summary>
    /// Decodes a message. Any structural problem surfaces as <see cref="DnsResponseException"/>; no
    /// other exception type escapes for any input.
    /// </summary>
    public static DnsMessage Parse(ReadOnlySpan<byte> data)
    {
        try
        {
            return ParseCore(data);
        }
        catch (DnsResponseException)
        {
            throw;
        }
        catch (Exception ex) when (ex is DnsException or ArgumentException or IndexOutOfRangeException or OverflowException)
        {
            // The reader bounds-checks every access; this is a last line of defence so that a decoding
            // defect can never turn into an unexpected exception type for callers.
            throw new DnsResponseException("Malformed DNS message.", ex);
        }
    }

    /// <summary>
    /// Reads only the ID and first question, which is all that is needed to decide whether a datagram
    /// answers an outstanding query (RFC 5452 §9.1) before paying for a full decode.
    /// </summary>
    internal static bool TryReadIdentity(ReadOnlySpan<byte> data, out ushort id, out bool isResponse, out DnsQuestion? question)
    {
        id = 0;
        isResponse = false;
        question = null;
        try
        {
            var reader = new DnsMessageReader(data);
            id = reader.ReadUInt16();
            ushort flags = reader.ReadUInt16();
            isResponse = (flags & 0x8000) != 0;
            ushort questionCount = reader.ReadUInt16();
            reader.ReadBytes(6);
            if (questionCount == 0)
            {
                return true;
            }

            string name = reader.ReadName();
            var type = (QueryType)reader.ReadUInt16();
            var queryClass = (QueryClass)reader.ReadUInt16();
            question = new DnsQuestion(name, type, queryClass);
            return true;
        }
        catch (DnsException)
        {
            return false;
        }
    }

    /// <summary>Encodes the message with name compression; section counts are taken from the lists.</summary>
    public byte[] Encode()
    {
        var writer = new DnsMessageWriter();
        WriteTo(writer);
        return writer.ToArray();
    }

    internal void WriteTo(DnsMessageWriter writer)
    {
        writer.WriteUInt16(Header.Id);
        writer.WriteUInt16(Header.EncodeFlags());
        writer.WriteUInt16(checked((ushort)Questions.Count));
        writer.WriteUInt16(checked((ushort)Answers.Count));
        writer.WriteUInt16(checked((ushort)Authorities.Count));
        writer.WriteUInt16(checked((ushort)(Additionals.Count + (Opt is null ? 0 : 1))));

        foreach (DnsQuestion question in Questions)
        {
            writer.WriteName(question.Name);
            writer.WriteUInt16((ushort)question.Type);
            writer.WriteUInt16((ushort)question.Class);
        }

        WriteRecords(writer, Answers);
        WriteRecords(writer, Authorities);
        WriteRecords(writer, Additionals);
        if (Opt is not null)
        {
            WriteRecord(writer, Opt);
        }
    }

    private static void WriteRecords(DnsMessageWriter writer, IReadOnlyList<DnsResourceRecord> records)
    {
        for (int i = 0; i < records.Count; i++)
        {
            WriteRecord(writer, records[i]);
        }
    }

    private static void WriteRecord(DnsMessageWriter writer, DnsResourceRecord record)
    {
        writer.WriteName(record.DomainName);
        writer.WriteUInt16((ushort)record.RecordType);
        writer.WriteUInt16((ushort)record.RecordClass);
        writer.WriteUInt32(unchecked((uint)record.TimeToLive));
        int lengthOffset = writer.Length;
        writer.WriteUInt16(0);
        record.WriteData(writer);
        int dataLength = writer.Length - lengthOffset - 2;
        if (dataLength > ushort.MaxValue)
        {
            throw new DnsException("RDATA longer than 65535 octets.");
        }

        writer.PatchUInt16(lengthOffset, (ushort)dataLength);
    }

    private static DnsMessage ParseCore(ReadOnlySpan<byte> data)
    {
        var reader = new DnsMessageReader(data);
        ushort id = reader.ReadUInt16();
        ushort flags = reader.ReadUInt16();
        int questionCount = reader.ReadUInt16();
        int answerCount = reader.ReadUInt16();
        int authorityCount = reader.ReadUInt16();
        int additionalCount = reader.ReadUInt16();

        // Each question needs at least five octets; refuse absurd counts before allocating.
        if (questionCount * 5 > reader.Remaining)
        {
            throw DnsMessageReader.Malformed("question count exceeds the message");
        }

        var questions = new DnsQuestion[questionCount];
        for (int i = 0; i < questionCount; i++)
        {
            string name = reader.ReadName();
            var type = (QueryType)reader.ReadUInt16();
            var queryClass = (QueryClass)reader.ReadUInt16();
            questions[i] = new DnsQuestion(name, type, queryClass);
        }

        OptRecord? opt = null;
        DnsResourceRecord[] answers = ReadSection(ref reader, answerCount, allowOpt: false, ref opt);
        DnsResourceRecord[] authorities = ReadSection(ref reader, authorityCount, allowOpt: false, ref opt);
        DnsResourceRecord[] additionals = ReadSection(ref reader, additionalCount, allowOpt: true, ref opt);

        int responseCode = flags & 0x0F;
        if (opt is not null)
        {
            // RFC 6891 §6.1.3: the OPT TTL carries the upper eight bits of a twelve-bit RCODE.
            responseCode |= opt.ExtendedResponseCode << 4;
        }

        var header = new DnsHeader
        {
            Id = id,
            IsResponse = (flags & 0x8000) != 0,
            OpCode = (DnsOpCode)((flags >> 11) & 0x0F),
            IsAuthoritativeAnswer = (flags & 0x0400) != 0,
            IsTruncated = (flags & 0x0200) != 0,
            RecursionDesired = (flags & 0x0100) != 0,
            RecursionAvailable = (flags & 0x0080) != 0,
            IsAuthenticData = (flags & 0x0020) != 0,
            IsCheckingDisabled = (flags & 0x0010) != 0,
            ResponseCode = (DnsResponseCode)responseCode,
            QuestionCount = questionCount,
            AnswerCount = answerCount,
            AuthorityCount = authorityCount,
            AdditionalCount = additionalCount,
        };

        return new DnsMessage
        {
            Header = header,
            Questions = questions,
            Answers = answers,
            Authorities = authorities,
            Additionals = additionals,
            Opt = opt,
        };
    }

    private static DnsResourceRecord[] ReadSection(ref DnsMessageReader reader, int count, bool allowOpt, ref OptRecord? opt)
    {
        if (count == 0)
        {
            return Array.Empty<DnsResourceRecord>();
        }

        // A record needs at least eleven octets (root name, type, class, TTL, RDLENGTH).
        if (count * 11 > reader.Remaining)
        {
            throw DnsMessageReader.Malformed("record count exceeds the message");
        }

        var records = new List<DnsResourceRecord>(count);
        for (int i = 0; i < count; i++)
        {
            DnsResourceRecord record = ResourceRecordReader.Read(ref reader);
            if (record is OptRecord optRecord)
            {
                if (!allowOpt || opt is not null)
                {
                    throw DnsMessageReader.Malformed("misplaced or repeated OPT record");
                }

                opt = optRecord;
                continue;
            }

            records.Add(record);
        }

        return records.ToArray();
    }
}
