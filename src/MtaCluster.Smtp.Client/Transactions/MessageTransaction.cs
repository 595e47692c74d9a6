using MtaCluster.Mail;
namespace MtaCluster.Smtp.Client.Transactions;

/// <summary>
/// One SMTP mail transaction (RFC 5321 §3.3): a reverse path, recipients (one destination domain)
/// and the message. The content is the message as it is to arrive: CRLF line ends, not
/// dot-stuffed; the connection stuffs it while sending.
/// </summary>
public sealed class MessageTransaction
{
    public MessageTransaction(string reversePath, IReadOnlyList<TransactionRecipient> recipients, ReadOnlyMemory<byte> content)
    {
        ArgumentNullException.ThrowIfNull(reversePath);
        ArgumentNullException.ThrowIfNull(recipients);
        if (recipients.Count == 0)
        {
            throw new ArgumentException("A transaction needs at least one recipient.", nameof(recipients));
        }

        ReversePath = reversePath;
        Recipients = recipients;
        Content = content;
    }

    /// <summary>The sender without angle brackets; empty for the null reverse path &lt;&gt; of a bounce.</summary>
    public string ReversePath { get; }

    public IReadOnlyList<TransactionRecipient> Recipients { get; }

    /// <summary>
    /// Read only while <c>SendAsync</c> runs (the connection stuffs it into its own pipe buffers), so the
    /// caller may hand out a pooled buffer and return it as soon as the transaction is over.
    /// </summary>
    public ReadOnlyMemory<byte> Content { get; }

    public MessageBodyType BodyType { get; init; }

    /// <summary>
    /// The message needs SMTPUTF8 (RFC 6531) although its addresses may be ASCII, e.g. UTF-8 in
    /// its header fields. Non-ASCII addresses imply it.
    /// </summary>
    public bool RequiresSmtpUtf8 { get; init; }

    public DsnReturn Return { get; init; }

    /// <summary>The ENVID (RFC 3461 §4.4), decoded; null sends none.</summary>
    public string? EnvelopeId { get; init; }

    /// <summary>
    /// Asked once the content is on the wire, before the final dot: the dot is the moment the receiver
    /// takes the message. False abandons the transaction: the connection is closed without the dot,
    /// nothing is delivered, and the recipients still open come back as <see cref="RecipientStatus.TryAgain"/>.
    /// </summary>
    public Func<CancellationToken, Task<bool>>? BeforeEndOfData { get; init; }
}
