using MtaCluster.Storage;

namespace MtaCluster.Delivery.Lifecycle;

/// <summary>When a delivery status notification is sent (RFC 3464 §2.3.3 gives each recipient its action).</summary>
/// <remarks>
/// <see cref="Final"/>: the message is complete, and the report covers its failed and expired recipients
/// (Action: failed) and those relayed to a hop without DSN (Action: relayed) together, one DSN per
/// message. <see cref="Delayed"/>: recipients still being retried (Action: delayed).
/// </remarks>
public enum DeliveryReportKind { Final, Delayed }

/// <summary>Everything a DSN says about one message: the original as stored, and the recipients it reports on.</summary>
/// <param name="WillRetryUntil">For <see cref="DeliveryReportKind.Delayed"/>: when each recipient gives up, by recipient id.</param>
public sealed record DeliveryReport(
    DeliveryReportKind Kind,
    StoredMessage Original,
    IReadOnlyList<QueuedRecipient> Recipients,
    DateTimeOffset Date,
    IReadOnlyDictionary<long, DateTimeOffset>? WillRetryUntil = null);

/// <summary>Writes a DSN message (multipart/report, RFC 6522 and RFC 3464) from a <see cref="DeliveryReport"/>.</summary>
public interface IDeliveryReportComposer
{
    /// <summary>The whole message, header and body, CRLF line ends, ready to be spooled as it will be sent.</summary>
    Task<byte[]> ComposeAsync(DeliveryReport report, CancellationToken cancellationToken = default);
}
