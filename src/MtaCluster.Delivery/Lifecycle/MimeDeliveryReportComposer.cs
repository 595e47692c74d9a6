using MtaCluster.Mail;
using MtaCluster.Mime;
using MtaCluster.Storage;

namespace MtaCluster.Delivery.Lifecycle;

/// <summary>
/// Writes DSNs with <see cref="DeliveryStatusNotification"/>: the spool's view of a message and its
/// recipients turned into RFC 3464 status groups, the original streamed from the stored body and
/// read only as far as the report needs it (the header, unless the whole message is returned).
/// </summary>
/// <param name="fullReturnLimit">The largest original returned whole for RET=FULL; a larger one is returned as its header.</param>
public sealed class MimeDeliveryReportComposer(string reportingMta, long fullReturnLimit = MimeDeliveryReportComposer.DefaultFullReturnLimit)
    : IDeliveryReportComposer
{
    /// <summary>
    /// 10 MiB: the size limit common at receiving MTAs. A report carrying a larger original would likely
    /// be refused by the sender's own mail server, and a DSN that fails is dropped, never bounced, so the
    /// sender would hear nothing; the header alone still says which message it was.
    /// </summary>
    public const long DefaultFullReturnLimit = 10 * 1024 * 1024;

    public async Task<byte[]> ComposeAsync(DeliveryReport report, CancellationToken cancellationToken = default)
    {
        var original = report.Original;
        var ret = original.DsnReturn;
        string? note = null;
        // A delay notice is not the end of the message's road: the sender needs to know which message
        // it is, not a second copy of one still being delivered. RET=FULL asks for the message back
        // in a failure report (RFC 3461 §4.3); a report of success alone returns only the header.
        if (report.Kind == DeliveryReportKind.Delayed || report.Recipients.All(r => r.State == RecipientState.Relayed)) ret = DsnReturn.Headers;
        else if (ret == DsnReturn.Full && original.Body.Length > fullReturnLimit)
        {
            ret = DsnReturn.Headers;
            note = $"The message ({original.Body.Length} octets) is larger than the {fullReturnLimit} octets returned in full: only its header is attached.";
        }

        // Gone meanwhile (an operator deleted it): the sender still hears what happened, without its header.
        var body = await original.Body.OpenReadAsync(cancellationToken).ConfigureAwait(false) ?? new MemoryStream("\r\n"u8.ToArray(), writable: false);
        await using (body.ConfigureAwait(false))
        {
            try
            {
                return await ComposeAsync(report, ret, note, body, cancellationToken).ConfigureAwait(false);
            }
            catch (MimeFormatException)
            {
                // The original's header is past what the parser takes (the SMTP server limits only the whole
                // message): the sender still hears what happened, without the original's header.
                using var empty = new MemoryStream("\r\n"u8.ToArray(), writable: false);
                return await ComposeAsync(report, DsnReturn.Headers, note, empty, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<byte[]> ComposeAsync(DeliveryReport report, DsnReturn ret, string? note, Stream body, CancellationToken cancellationToken)
    {
        var original = report.Original;
        var dsn = new DeliveryStatusNotification(reportingMta, original.ReversePath)
        {
            EnvelopeId = Printable(original.EnvelopeId),
            ArrivalDate = original.ReceivedAt,
            Return = ret,
            ReturnNote = note,
            Utf8 = original.SmtpUtf8,
            OriginalBodyType = original.BodyType,
            Date = report.Date,
        };
        foreach (var recipient in report.Recipients)
            dsn.Recipients.Add(ToStatusGroup(report, recipient));

        using var output = new MemoryStream();
        await dsn.WriteToAsync(body, output, cancellationToken).ConfigureAwait(false);
        return output.ToArray();
    }

    private static DsnRecipient ToStatusGroup(DeliveryReport report, QueuedRecipient recipient)
    {
        var delayed = report.Kind == DeliveryReportKind.Delayed;
        var action = delayed ? DsnAction.Delayed : recipient.State == RecipientState.Relayed ? DsnAction.Relayed : DsnAction.Failed;
        var original = StoredOriginalRecipient.Split(recipient.OriginalRecipient);
        return new DsnRecipient
        {
            FinalRecipient = recipient.Address,
            Action = action,
            Status = StatusOf(recipient.LastReply, action),
            OriginalRecipient = Printable(original?.Address),
            OriginalRecipientType = original?.Type ?? "rfc822",
            RemoteMta = recipient.RemoteMta,
            DiagnosticCode = recipient.LastReply,
            DiagnosticType = IsRemoteReply(recipient) ? DsnRecipient.SmtpDiagnosticType : LocalDiagnosticType,
            LastAttemptDate = recipient.LastAttemptAt,
            WillRetryUntil = delayed && report.WillRetryUntil?.TryGetValue(recipient.RecipientId, out var until) == true ? until : null,
        };
    }

    /// <summary>The diagnostic-type for words of this MTA's own (RFC 3464 §2.3.6 allows an X- type for non-SMTP codes).</summary>
    public const string LocalDiagnosticType = "X-MtaCluster";

    /// <summary>
    /// Only a receiver's reply is an "smtp" diagnostic: a recipient without a Remote-MTA ended on our own
    /// words (no connection, a timeout, a local failure), and an expiry is our verdict, quoting the last
    /// reply inside it.
    /// </summary>
    private static bool IsRemoteReply(QueuedRecipient recipient) => recipient.RemoteMta is not null && recipient.State != RecipientState.Expired;

    /// <summary>
    /// ENVID and ORCPT come from the client as xtext, which can encode CR, LF or NUL: written into a
    /// status field as they are they would forge fields of their own (or make the DSN undeliverable).
    /// </summary>
    private static string? Printable(string? value) =>
        value is null || !value.Any(char.IsControl) ? value : string.Concat(value.Select(c => char.IsControl(c) ? '?' : c));

    /// <summary>
    /// The reply's enhanced code; without one, the class its basic code implies (RFC 3463 §3.1, x.0.0).
    /// A relayed recipient's is a success whatever the reply says (2.0.0 without a 2.x.x code).
    /// </summary>
    private static EnhancedStatusCode StatusOf(string? reply, DsnAction action)
    {
        var relayed = action == DsnAction.Relayed;
        if (reply is { Length: >= 3 })
        {
            var rest = reply.AsSpan(3).TrimStart();
            var end = rest.IndexOf(' ');
            if (EnhancedStatusCode.TryParse(end < 0 ? rest : rest[..end], out var code) && (!relayed || code.IsSuccess)) return code;
            if (!relayed && reply[0] is '4' or '5') return new EnhancedStatusCode(reply[0] - '0', 0, 0);
        }
        return new EnhancedStatusCode(action switch { DsnAction.Relayed => 2, DsnAction.Delayed => 4, _ => 5 }, 0, 0);
    }
}
