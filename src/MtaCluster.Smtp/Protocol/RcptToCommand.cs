using MtaCluster.Mail;

namespace MtaCluster.Smtp.Protocol;

/// <summary>A parsed RCPT command; <see cref="OriginalRecipient"/> is the decoded ORCPT as <c>type;address</c>.</summary>
public sealed record RcptToCommand(SmtpMailbox Recipient, DsnNotify Notify, string? OriginalRecipient);
