using System.Text;

namespace MtaCluster.Mime;

/// <summary>The human-readable first part of a DSN (RFC 3464 §2): what happened, to whom, what the remote said, and which message.</summary>
internal static class DsnText
{
    public static string Create(DeliveryStatusNotification report, string? originalSubject)
    {
        var text = new StringBuilder();
        text.Append("This is the mail system at host ").Append(report.ReportingMta).Append(".\r\n\r\n");
        text.Append(report.Kind switch
        {
            DsnAction.Failed => "Your message could not be delivered to one or more recipients.\r\nIt is attached below.\r\n",
            DsnAction.Delayed => "Your message could not be delivered yet to one or more recipients.\r\n"
                + "Delivery is still being retried; you do not need to send it again.\r\n",
            _ => "Your message was delivered or passed on to the recipients listed below, as you asked.\r\n",
        });
        text.Append("\r\nSubject: ").Append(originalSubject ?? "(no subject)").Append("\r\n");
        if (report.ArrivalDate is { } arrival)
        {
            text.Append("Received: ").Append(MessageDeliveryStatus.FormatDate(arrival)).Append("\r\n");
        }

        if (report.ReturnNote is { } note)
        {
            text.Append("\r\n").Append(note).Append("\r\n");
        }

        foreach (DsnRecipient recipient in report.Recipients)
        {
            text.Append("\r\n<").Append(recipient.FinalRecipient).Append(">: ").Append(recipient.Action switch
            {
                DsnAction.Failed => "delivery failed",
                DsnAction.Delayed => "delivery delayed",
                DsnAction.Delivered => "delivered",
                DsnAction.Relayed => "relayed to a server that does not send delivery reports",
                _ => "expanded to more recipients",
            }).Append(" (").Append(recipient.Status.ToString()).Append(")\r\n");
            if (recipient.DiagnosticCode is { } reply)
            {
                text.Append("    ").Append(recipient.RemoteMta is { } host ? $"{host} said: " : "Reply: ")
                    .Append(string.Join(' ', reply.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries))).Append("\r\n");
            }

            if (recipient.WillRetryUntil is { } until)
            {
                text.Append("    Retried until ").Append(MessageDeliveryStatus.FormatDate(until)).Append("\r\n");
            }
        }

        return text.ToString();
    }
}
