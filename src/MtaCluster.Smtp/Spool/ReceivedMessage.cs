using System.Net;
using MtaCluster.Mail;

namespace MtaCluster.Smtp.Spool;

/// <summary>
/// A message as accepted at end of DATA / BDAT LAST: the envelope, the facts about the client, and the
/// content with the Received header prepended and any submission fix-ups, CRLF line endings, not dot-stuffed.
/// </summary>
public sealed class ReceivedMessage
{
    public required string Id { get; init; }

    /// <summary>The envelope sender; empty for the null reverse-path <c>&lt;&gt;</c>.</summary>
    public required string ReversePath { get; init; }

    public required IReadOnlyList<ReceivedRecipient> Recipients { get; init; }

    /// <summary>The MAIL SIZE parameter, when the client sent one.</summary>
    public long? DeclaredSize { get; init; }

    public MessageBodyType BodyType { get; init; }

    public bool SmtpUtf8 { get; init; }

    public DsnReturn Return { get; init; }

    /// <summary>The decoded MAIL ENVID parameter.</summary>
    public string? EnvelopeId { get; init; }

    public required IPAddress ClientAddress { get; init; }

    public required string ClientHelo { get; init; }

    public string? AuthenticatedUser { get; init; }

    /// <summary>The client's address is in the trusted networks (Smtp:TrustedNetworks), whether or not it authenticated.</summary>
    public bool ClientTrusted { get; init; }

    public required string ListenerName { get; init; }

    public required DateTimeOffset ReceivedAt { get; init; }

    /// <summary>
    /// Lent by the session: its body segments go back to the pool once <see cref="IMessageSpool.AcceptAsync"/>
    /// has completed, so a spool that keeps the content longer keeps a copy.
    /// </summary>
    public required MessageContent Content { get; init; }
}
