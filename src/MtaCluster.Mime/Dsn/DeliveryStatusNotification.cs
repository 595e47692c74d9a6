using System.IO.Pipelines;
using System.Text;
using MtaCluster.Mail;

namespace MtaCluster.Mime;

/// <summary>
/// Builds a DSN (RFC 3464) as a multipart/report (RFC 6522): a plain-words text part, the
/// <see cref="MessageDeliveryStatus"/>, and the original message or its header; the message/global* forms of
/// RFC 6533 when the original came in with SMTPUTF8. The original is read as a stream and copied as it streams.
/// </summary>
/// <remarks>
/// Transfer encodings, one simple rule: the text part is 7bit when it is ASCII, 8bit when the original was SMTPUTF8
/// (the report then goes back with SMTPUTF8, which implies 8BITMIME, RFC 6531 §3.1), and quoted-printable otherwise,
/// so a report with a Chinese subject still travels to a 7-bit-only server. The returned original is declared 8bit
/// when it was sent 8BITMIME or SMTPUTF8 or its header has 8-bit octets, else 7bit; message/* parts may not be
/// encoded further (RFC 2046 §5.2.1).
/// </remarks>
public sealed class DeliveryStatusNotification
{
    public DeliveryStatusNotification(string reportingMta, string envelopeSender)
    {
        ArgumentException.ThrowIfNullOrEmpty(reportingMta);
        ArgumentException.ThrowIfNullOrEmpty(envelopeSender);
        ReportingMta = reportingMta;
        EnvelopeSender = envelopeSender;
        From = new MailboxAddress("Mail Delivery System", "MAILER-DAEMON@" + reportingMta);
        MessageId = $"{Guid.NewGuid():N}@{reportingMta}";
        Boundary = $"=_{Guid.NewGuid():N}";
    }

    /// <summary>This host's name, for Reporting-MTA and the postmaster address.</summary>
    public string ReportingMta { get; }

    /// <summary>The original's MAIL FROM: the report's To. Never the null sender (RFC 3461 §6.2 sends none to it).</summary>
    public string EnvelopeSender { get; }

    public MailboxAddress From { get; init; }

    public string? EnvelopeId { get; init; }

    public DateTimeOffset? ArrivalDate { get; init; }

    public DsnReturn Return { get; init; }

    /// <summary>Why less of the original is attached than the sender asked for (e.g. too large to return in full), told in the text part.</summary>
    public string? ReturnNote { get; init; }

    /// <summary>The original came in with SMTPUTF8: use the message/global* forms (RFC 6533 §6).</summary>
    public bool Utf8 { get; init; }

    public MessageBodyType OriginalBodyType { get; init; }

    public DateTimeOffset Date { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>The Message-ID without angle brackets.</summary>
    public string MessageId { get; init; }

    /// <summary>Cannot occur in quoted-printable output ("=_"), in base64, or in a header line by chance.</summary>
    public string Boundary { get; init; }

    public List<DsnRecipient> Recipients { get; } = [];

    /// <summary>What the report is about, in order of importance: any failure, else any delay, else success.</summary>
    public DsnAction Kind => Recipients.Any(r => r.Action == DsnAction.Failed) ? DsnAction.Failed
        : Recipients.Any(r => r.Action == DsnAction.Delayed) ? DsnAction.Delayed
        : DsnAction.Delivered;

    public string Subject => Kind switch
    {
        DsnAction.Failed => "Undelivered Mail Returned to Sender",
        DsnAction.Delayed => "Delayed Mail (still being retried)",
        _ => "Successful Mail Delivery Report",
    };

    /// <summary>Writes the whole report to <paramref name="output"/>, reading <paramref name="original"/> once from where it is.</summary>
    public async Task WriteToAsync(Stream original, Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(output);
        if (Recipients.Count == 0)
        {
            throw new InvalidOperationException("A DSN reports on at least one recipient (RFC 3464 §2.1).");
        }

        PipeReader reader = PipeReader.Create(original, new StreamPipeReaderOptions(bufferSize: 64 * 1024, leaveOpen: true));
        try
        {
            HeaderList originalHeaders = await HeaderList.LoadAsync(reader, cancellationToken: cancellationToken);
            await WriteAsync(originalHeaders, reader, output, cancellationToken);
        }
        finally
        {
            await reader.CompleteAsync();
        }
    }

    private async Task WriteAsync(HeaderList originalHeaders, PipeReader body, Stream output, CancellationToken cancellationToken)
    {
        string text = DsnText.Create(this, originalHeaders["Subject"]);
        bool textIsAscii = text.All(char.IsAscii);
        string textEncoding = textIsAscii ? "7bit" : Utf8 ? "8bit" : "quoted-printable";
        bool full = Return == DsnReturn.Full;
        bool originalEightBit = Utf8 || OriginalBodyType != MessageBodyType.SevenBit
            || originalHeaders.Any(h => h.RawField.Any(b => b > 0x7F));
        string originalType = (full, Utf8) switch
        {
            (true, true) => "message/global",
            (true, false) => "message/rfc822",
            (false, true) => "message/global-headers",
            (false, false) => "text/rfc822-headers",
        };
        MessageDeliveryStatus status = MessageDeliveryStatus.Create(this);

        var head = new HeaderList();
        head.Add("From", From.ToString(Utf8));
        head.Add("To", new MailboxAddress(null, EnvelopeSender).ToString(Utf8));
        head.Add("Subject", Subject);
        head.Add("Date", MessageDeliveryStatus.FormatDate(Date));
        head.Add("Message-ID", $"<{MessageId}>");
        head.Add("Auto-Submitted", "auto-replied");
        head.Add("MIME-Version", "1.0");
        // RFC 6522 §3: report-type is the subtype of the second part, global-delivery-status in the RFC 6533 form.
        head.Add("Content-Type", $"multipart/report; report-type={(Utf8 ? "global-delivery-status" : "delivery-status")}; boundary=\"{Boundary}\"");
        head.Add("Content-Transfer-Encoding", textEncoding == "8bit" || originalEightBit ? "8bit" : "7bit");
        await head.WriteToAsync(output, cancellationToken);
        await WriteAsync(output, "\r\nThis is a MIME-encapsulated message.\r\n", cancellationToken);

        await WriteAsync(output, $"\r\n--{Boundary}\r\n", cancellationToken);
        var textHead = new HeaderList();
        textHead.Add("Content-Type", "text/plain; charset=utf-8");
        textHead.Add("Content-Description", "Notification");
        textHead.Add("Content-Transfer-Encoding", textEncoding);
        await textHead.WriteToAsync(output, cancellationToken);
        await WriteAsync(output, "\r\n" + (textEncoding == "quoted-printable" ? QuotedPrintable.Encode(text) : text), cancellationToken);

        await WriteAsync(output, $"\r\n--{Boundary}\r\n", cancellationToken);
        var statusHead = new HeaderList();
        statusHead.Add("Content-Type", status.MimeType);
        statusHead.Add("Content-Description", "Delivery report");
        statusHead.Add("Content-Transfer-Encoding", Utf8 ? "8bit" : "7bit");
        await statusHead.WriteToAsync(output, cancellationToken);
        await WriteAsync(output, "\r\n", cancellationToken);
        await status.WriteToAsync(output, cancellationToken);

        await WriteAsync(output, $"\r\n--{Boundary}\r\n", cancellationToken);
        var originalHead = new HeaderList();
        originalHead.Add("Content-Type", originalType);
        // A report of delays and successes only returns a message that is not undelivered (yet).
        string described = Kind == DsnAction.Failed ? "Undelivered Message" : "Message";
        originalHead.Add("Content-Description", full ? described : described + " Headers");
        originalHead.Add("Content-Transfer-Encoding", originalEightBit ? "8bit" : "7bit");
        await originalHead.WriteToAsync(output, cancellationToken);
        await WriteAsync(output, "\r\n", cancellationToken);
        bool lastWasCr = false;
        foreach (Header header in originalHeaders)
        {
            lastWasCr = await MessageCopier.WriteAsync(header.RawField, output, lastWasCr, cancellationToken);
        }

        if (!EndsWithLineEnd(originalHeaders))
        {
            await WriteAsync(output, "\r\n", cancellationToken);
        }

        if (full)
        {
            await WriteAsync(output, "\r\n", cancellationToken);
            await MessageCopier.CopyAsync(body, output, lastWasCr: false, cancellationToken);
        }

        await WriteAsync(output, $"\r\n--{Boundary}--\r\n", cancellationToken);
    }

    private static bool EndsWithLineEnd(HeaderList headers) => headers.Count == 0 || headers[^1].RawField is [.., (byte)'\n'];

    private static async Task WriteAsync(Stream output, string text, CancellationToken cancellationToken) =>
        await output.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken);
}
