using System.Runtime.InteropServices;
using MtaCluster.Mail;
using MtaCluster.Mime;
using MtaCluster.Storage;

namespace MtaCluster.Delivery.Lifecycle;

/// <summary>
/// Writes DSNs with <see cref="DeliveryStatusNotification"/>: the spool's view of a message and its
/// recipients turned into RFC 3464 status groups, the original read from the stored body.
/// </summary>
public sealed class MimeDeliveryReportComposer(string reportingMta) : IDeliveryReportComposer
{
    public async Task<byte[]> ComposeAsync(DeliveryReport report, CancellationToken cancellationToken = default)
    {
        try
        {
            return await ComposeAsync(report, report.Original.Content, cancellationToken).ConfigureAwait(false);
        }
        catch (MimeFormatException)
        {
            // The original's header is past what the parser takes (the SMTP server limits only the whole
            // message): the sender still hears what happened, without the original's header.
            return await ComposeAsync(report with { Original = report.Original with { DsnReturn = DsnReturn.Headers } }, "\r\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<byte[]> ComposeAsync(DeliveryReport report, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var original = report.Original;
        var dsn = new DeliveryStatusNotification(reportingMta, original.ReversePath)
        {
            EnvelopeId = Printable(original.EnvelopeId),
            ArrivalDate = original.ReceivedAt,
            Return = original.DsnReturn,
            Utf8 = original.SmtpUtf8,
            OriginalBodyType = original.BodyType,
            Date = report.Date,
        };
        foreach (var recipient in report.Recipients)
            dsn.Recipients.Add(ToStatusGroup(report, recipient));

        // The spool hands bodies over as arrays: read the original in place, without a copy.
        using var body = MemoryMarshal.TryGetArray(content, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(content.ToArray(), writable: false);
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
