using MtaCluster.Mail;

namespace MtaCluster.Mime;

/// <summary>One recipient's status group (RFC 3464 §2.3).</summary>
public sealed record DsnRecipient
{
    /// <summary>The address the recipient was finally tried as (Final-Recipient).</summary>
    public required string FinalRecipient { get; init; }

    public required DsnAction Action { get; init; }

    public required EnhancedStatusCode Status { get; init; }

    /// <summary>The ORCPT address, decoded from xtext (RFC 3461 §4.2); null when the client gave none.</summary>
    public string? OriginalRecipient { get; init; }

    /// <summary>The ORCPT addr-type, "rfc822" or "utf-8" (RFC 6533 §3).</summary>
    public string OriginalRecipientType { get; init; } = "rfc822";

    /// <summary>The host that gave the reply, when one did (Remote-MTA, "dns" type).</summary>
    public string? RemoteMta { get; init; }

    /// <summary>The last reply as the remote sent it ("550 5.1.1 no such user"); lines of a multi-line reply joined.</summary>
    public string? DiagnosticCode { get; init; }

    /// <summary>
    /// What <see cref="DiagnosticCode"/> is (RFC 3464 §2.3.6): <see cref="SmtpDiagnosticType"/> for a reply an
    /// SMTP server gave; an X- type when the words are the reporting MTA's own, which are no SMTP server's reply.
    /// </summary>
    public string DiagnosticType { get; init; } = SmtpDiagnosticType;

    /// <summary>The diagnostic-type of a remote SMTP server's reply.</summary>
    public const string SmtpDiagnosticType = "smtp";

    public DateTimeOffset? LastAttemptDate { get; init; }

    /// <summary>Until when a delayed recipient is retried (RFC 3464 §2.3.9).</summary>
    public DateTimeOffset? WillRetryUntil { get; init; }
}
