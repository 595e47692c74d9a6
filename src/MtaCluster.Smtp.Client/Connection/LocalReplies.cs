using System.Net;
using MtaCluster.Mail;

namespace MtaCluster.Smtp.Client.Connection;

/// <summary>
/// The replies this client makes up itself. Connection-level trouble uses 421 (RFC 5321 §3.8:
/// service not available, closing) so it reads as transient; the enhanced codes are RFC 3463's.
/// </summary>
internal static class LocalReplies
{
    /// <summary>X.4.1: no answer from host.</summary>
    public static SmtpReply ConnectRefused(IPEndPoint remote) => SmtpReply.Local(421, new(4, 4, 1), $"connect to {remote}: connection refused");

    /// <summary>X.4.1: no answer from host.</summary>
    public static SmtpReply ConnectTimeout(IPEndPoint remote) => SmtpReply.Local(421, new(4, 4, 1), $"connect to {remote}: timed out");

    /// <summary>X.4.0: other network or routing status (unreachable, no such source address).</summary>
    public static SmtpReply ConnectFailed(IPEndPoint remote, string reason) => SmtpReply.Local(421, new(4, 4, 0), $"connect to {remote}: {reason}");

    /// <summary>X.4.2: bad connection, as Postfix reports a conversation timeout.</summary>
    public static SmtpReply Timeout(IPEndPoint remote, string stage) => SmtpReply.Local(421, new(4, 4, 2), $"{remote}: timed out {stage}");

    /// <summary>X.4.2: bad connection.</summary>
    public static SmtpReply Dropped(IPEndPoint remote, string stage) => SmtpReply.Local(421, new(4, 4, 2), $"{remote}: lost connection {stage}");

    /// <summary>X.5.0: other or undefined protocol status.</summary>
    public static SmtpReply ProtocolError(IPEndPoint remote, string stage, string detail) => SmtpReply.Local(421, new(4, 5, 0), $"{remote}: protocol error {stage}: {detail}");

    /// <summary>X.7.4: security features not supported (the server offers no usable STARTTLS).</summary>
    public static SmtpReply TlsNotAvailable(IPEndPoint remote, string detail) => SmtpReply.Local(421, new(4, 7, 4), $"{remote}: TLS is required, but {detail}");

    /// <summary>X.7.5: cryptographic failure.</summary>
    public static SmtpReply TlsHandshakeFailed(IPEndPoint remote, string detail) => SmtpReply.Local(421, new(4, 7, 5), $"{remote}: TLS handshake failed: {detail}");

    /// <summary>X.4.2: the connection had already failed or been closed; nothing was sent.</summary>
    public static SmtpReply NotUsable(IPEndPoint remote) => SmtpReply.Local(421, new(4, 4, 2), $"{remote}: connection no longer usable");

    /// <summary>The sender itself gave the transaction up before the final dot: X.4.2, the connection is closed, nothing was delivered.</summary>
    public static SmtpReply Abandoned(IPEndPoint remote) => SmtpReply.Local(421, new(4, 4, 2), $"{remote}: transaction abandoned before the end of data; nothing delivered");

    /// <summary>RFC 1870 §6: the server's SIZE limit is exceeded; X.3.4 message too big for system.</summary>
    public static SmtpReply MessageTooBig(long size, long limit) => SmtpReply.Local(552, new(5, 3, 4), $"message size {size} exceeds the server's limit of {limit}");

    /// <summary>RFC 6531 §3.5: without SMTPUTF8 at the server the message cannot go; X.6.7.</summary>
    public static SmtpReply SmtpUtf8NotOffered(IPEndPoint remote) => SmtpReply.Local(554, new(5, 6, 7), $"SMTPUTF8 is required, but was not offered by {remote}");

    /// <summary>RFC 6152 §3 lets us refuse instead of converting; X.6.3 conversion required but not supported.</summary>
    public static SmtpReply EightBitNotOffered(IPEndPoint remote) => SmtpReply.Local(554, new(5, 6, 3), $"8-bit content, but 8BITMIME was not offered by {remote}");

    /// <summary>
    /// X.6.0: a NUL is not allowed in 7bit or 8bit content (RFC 2045 §2.7–2.8, RFC 5322 §2.1), and a
    /// receiver that drops it could read "CRLF NUL . CRLF" as the end of the data.
    /// </summary>
    public static SmtpReply NulInContent() => SmtpReply.Local(554, new(5, 6, 0), "message content contains a NUL character and is not sent");

    /// <summary>RFC 3030 §3: BINARYMIME needs BDAT, which this client does not send; X.6.3 conversion not supported.</summary>
    public static SmtpReply BinaryNotSupported() => SmtpReply.Local(554, new(5, 6, 3), "BINARYMIME content cannot be sent with DATA");

    /// <summary>X.1.7: bad sender address syntax.</summary>
    public static SmtpReply BadSender() => SmtpReply.Local(501, new(5, 1, 7), "sender address contains control characters");

    /// <summary>X.1.3: bad destination address syntax.</summary>
    public static SmtpReply BadRecipient() => SmtpReply.Local(501, new(5, 1, 3), "recipient address contains control characters");

    /// <summary>X.5.3: too many recipients (RFC 5321 §4.5.3.1.10), here our own per-transaction limit.</summary>
    public static SmtpReply TooManyRecipients(int limit) => SmtpReply.Local(452, new(4, 5, 3), $"more than {limit} recipients in one transaction");
}
