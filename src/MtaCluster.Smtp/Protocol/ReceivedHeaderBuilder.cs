using System.Text;

namespace MtaCluster.Smtp.Protocol;

/// <summary>
/// The Received trace header a server prepends to every message it accepts (RFC 5321 §4.4), with the
/// protocol names of RFC 3848 and RFC 6531 in its "with" clause.
/// </summary>
public static class ReceivedHeaderBuilder
{
    // Indexed by (SMTPUTF8, TLS, AUTH) so choosing the name costs no string concatenation per message.
    private static readonly string[] ExtendedNames =
        ["ESMTP", "ESMTPA", "ESMTPS", "ESMTPSA", "UTF8SMTP", "UTF8SMTPA", "UTF8SMTPS", "UTF8SMTPSA"];

    /// <summary>"SMTP" after HELO; after EHLO ESMTP or UTF8SMTP, with S for TLS and A for AUTH.</summary>
    public static string ProtocolName(bool extended, bool smtpUtf8, bool secure, bool authenticated) =>
        extended ? ExtendedNames[(smtpUtf8 ? 4 : 0) | (secure ? 2 : 0) | (authenticated ? 1 : 0)] : "SMTP";

    /// <summary>
    /// The header, UTF-8 encoded, CRLF at the end. <paramref name="singleRecipient"/> is named in a "for"
    /// clause: only when there is one, since listing several would tell each recipient about the others.
    /// </summary>
    public static byte[] Build(
        string? heloName,
        string clientLiteral,
        string? tlsDescription,
        string hostName,
        string protocol,
        string id,
        string? singleRecipient,
        string date)
    {
        var received = new StringBuilder(256)
            .Append("Received: from ").Append(heloName).Append(" (").Append(clientLiteral).Append(")\r\n");
        if (tlsDescription is not null) received.Append("\t(using ").Append(tlsDescription).Append(")\r\n");
        received.Append("\tby ").Append(hostName).Append(" (MtaCluster) with ").Append(protocol)
            .Append(" id ").Append(id);
        if (singleRecipient is not null) received.Append("\r\n\tfor <").Append(singleRecipient).Append('>');
        received.Append("; ").Append(date).Append("\r\n");
        return Encoding.UTF8.GetBytes(received.ToString());
    }
}
