using System.Security.Cryptography;
using MtaCluster.Dns.Protocol;

namespace MtaCluster.Dns.Transport;

/// <summary>Encodes outgoing queries: one question plus an OPT record advertising the UDP payload size.</summary>
internal static class QueryMessageBuilder
{
    /// <summary>
    /// Query IDs come from a cryptographic generator so an off-path attacker cannot predict them
    /// (RFC 5452 §4.3); combined with a fresh source port per query this is the spoofing defence.
    /// </summary>
    public static ushort NewId() => (ushort)RandomNumberGenerator.GetInt32(0, 0x10000);

    public static byte[] Build(ushort id, DnsQuestion question, ushort udpPayloadSize, bool requestAuthenticData)
    {
        var writer = new DnsMessageWriter(64);
        writer.WriteUInt16(id);

        // RD always; AD on request (RFC 6840 §5.7) so a validating resolver reports validation.
        ushort flags = 0x0100;
        if (requestAuthenticData)
        {
            flags |= 0x0020;
        }

        writer.WriteUInt16(flags);
        writer.WriteUInt16(1);
        writer.WriteUInt16(0);
        writer.WriteUInt16(0);
        writer.WriteUInt16(1);
        writer.WriteName(question.Name, compress: false);
        writer.WriteUInt16((ushort)question.Type);
        writer.WriteUInt16((ushort)question.Class);

        // OPT pseudo-record, RFC 6891 §6.1.2: root owner, CLASS = payload size, TTL = 0 (version 0, DO clear).
        writer.WriteByte(0);
        writer.WriteUInt16((ushort)QueryType.OPT);
        writer.WriteUInt16(udpPayloadSize);
        writer.WriteUInt32(0);
        writer.WriteUInt16(0);
        return writer.ToArray();
    }

    /// <summary>RFC 5452 §9.1: accept only a response whose ID and question match what was asked.</summary>
    public static bool IsAnswerTo(ReadOnlySpan<byte> response, ushort id, DnsQuestion question)
    {
        if (!DnsMessage.TryReadIdentity(response, out ushort responseId, out bool isResponse, out DnsQuestion? echoed))
        {
            return false;
        }

        return isResponse && responseId == id && echoed is not null && echoed.Equals(question);
    }
}
