namespace MtaCluster.Dns.Protocol;

/// <summary>The fixed twelve-octet message header (RFC 1035 §4.1.1) with the AD and CD bits of RFC 4035 §3.2.</summary>
public sealed class DnsHeader
{
    public ushort Id { get; init; }

    public bool IsResponse { get; init; }

    public DnsOpCode OpCode { get; init; }

    public bool IsAuthoritativeAnswer { get; init; }

    /// <summary>TC: the answer did not fit the UDP payload and must be fetched over TCP.</summary>
    public bool IsTruncated { get; init; }

    public bool RecursionDesired { get; init; }

    public bool RecursionAvailable { get; init; }

    /// <summary>AD: the resolver validated the data with DNSSEC (RFC 4035 §3.2.3); DANE depends on it.</summary>
    public bool IsAuthenticData { get; init; }

    public bool IsCheckingDisabled { get; init; }

    /// <summary>Full response code, including the extended bits from an OPT record when present.</summary>
    public DnsResponseCode ResponseCode { get; init; }

    public int QuestionCount { get; init; }

    public int AnswerCount { get; init; }

    public int AuthorityCount { get; init; }

    public int AdditionalCount { get; init; }

    internal ushort EncodeFlags()
    {
        int flags = 0;
        if (IsResponse) flags |= 0x8000;
        flags |= ((int)OpCode & 0x0F) << 11;
        if (IsAuthoritativeAnswer) flags |= 0x0400;
        if (IsTruncated) flags |= 0x0200;
        if (RecursionDesired) flags |= 0x0100;
        if (RecursionAvailable) flags |= 0x0080;
        if (IsAuthenticData) flags |= 0x0020;
        if (IsCheckingDisabled) flags |= 0x0010;
        flags |= (int)ResponseCode & 0x0F;
        return (ushort)flags;
    }

    public override string ToString() =>
        $"id={Id} opcode={OpCode} rcode={ResponseCode} qr={IsResponse} aa={IsAuthoritativeAnswer} tc={IsTruncated} rd={RecursionDesired} ra={RecursionAvailable} ad={IsAuthenticData} cd={IsCheckingDisabled}";
}
