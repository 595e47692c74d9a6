using MtaCluster.Mail;

namespace MtaCluster.Smtp.Protocol;

/// <summary>A parsed MAIL command. <see cref="Sender"/> is null for the null reverse-path <c>&lt;&gt;</c>.</summary>
public sealed record MailFromCommand(
    SmtpMailbox? Sender,
    long? Size,
    MessageBodyType Body,
    bool SmtpUtf8,
    DsnReturn Return,
    string? EnvelopeId);
