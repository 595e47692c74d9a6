using System.Globalization;
using MtaCluster.Mail;

namespace MtaCluster.Mime;

/// <summary>
/// The body of a message/delivery-status part (RFC 3464 §2.1): one per-message group, then one group per recipient,
/// groups separated by a blank line. With <see cref="Utf8"/> it is message/global-delivery-status (RFC 6533 §6).
/// </summary>
public sealed class MessageDeliveryStatus
{
    public HeaderList PerMessage { get; } = new();

    public List<HeaderList> Recipients { get; } = [];

    public bool Utf8 { get; init; }

    public string MimeType => Utf8 ? "message/global-delivery-status" : "message/delivery-status";

    /// <summary>The status groups for a report; addresses typed rfc822, or utf-8 where non-ASCII (RFC 6533 §3).</summary>
    public static MessageDeliveryStatus Create(DeliveryStatusNotification report)
    {
        var status = new MessageDeliveryStatus { Utf8 = report.Utf8 };
        status.PerMessage.Add("Reporting-MTA", "dns; " + report.ReportingMta);
        if (!string.IsNullOrEmpty(report.EnvelopeId))
        {
            status.PerMessage.Add("Original-Envelope-Id", report.EnvelopeId);
        }

        if (report.ArrivalDate is { } arrival)
        {
            status.PerMessage.Add("Arrival-Date", FormatDate(arrival));
        }

        foreach (DsnRecipient recipient in report.Recipients)
        {
            var group = new HeaderList();
            if (recipient.OriginalRecipient is { } original)
            {
                group.Add("Original-Recipient", status.Address(recipient.OriginalRecipientType, original));
            }

            group.Add("Final-Recipient", status.Address("rfc822", recipient.FinalRecipient));
            group.Add("Action", recipient.Action.ToString().ToLowerInvariant());
            group.Add("Status", recipient.Status.ToString());
            if (recipient.RemoteMta is { } remote)
            {
                group.Add("Remote-MTA", "dns; " + remote);
            }

            if (recipient.DiagnosticCode is { } diagnostic)
            {
                group.Add("Diagnostic-Code", recipient.DiagnosticType + "; " + OneLine(diagnostic));
            }

            if (recipient.LastAttemptDate is { } last)
            {
                group.Add("Last-Attempt-Date", FormatDate(last));
            }

            if (recipient.WillRetryUntil is { } until)
            {
                group.Add("Will-Retry-Until", FormatDate(until));
            }

            status.Recipients.Add(group);
        }

        return status;
    }

    public async Task WriteToAsync(Stream output, CancellationToken cancellationToken)
    {
        await PerMessage.WriteToAsync(output, cancellationToken);
        foreach (HeaderList group in Recipients)
        {
            await output.WriteAsync("\r\n"u8.ToArray(), cancellationToken);
            await group.WriteToAsync(output, cancellationToken);
        }
    }

    /// <summary>RFC 5322 §3.3 date-time, as Date and the DSN date fields carry it.</summary>
    public static string FormatDate(DateTimeOffset date) =>
        date.ToString("ddd, d MMM yyyy HH:mm:ss ", CultureInfo.InvariantCulture)
        + date.ToString("zzz", CultureInfo.InvariantCulture).Replace(":", "", StringComparison.Ordinal);

    /// <summary>
    /// "type; address". A non-ASCII address is "utf-8": raw in the global form, utf-8-addr-xtext in the plain one
    /// (RFC 6533 §3), so the plain form stays ASCII.
    /// </summary>
    private string Address(string type, string address)
    {
        if (address.All(char.IsAscii))
        {
            return $"{type}; {address}";
        }

        return Utf8 ? $"utf-8; {address}" : $"utf-8; {XText.EncodeUtf8Address(address)}";
    }

    private static string OneLine(string text) =>
        string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
