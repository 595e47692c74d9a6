namespace MtaCluster.Delivery.Lifecycle;

/// <summary>A message for the <see cref="MessageEntity"/> of one message, sharded by its id.</summary>
public interface IMessageEntityMessage
{
    string MessageId { get; }
}

/// <summary>
/// The message may be complete: its last pending recipient became final (or a sweep found it marked
/// complete). The entity checks the store; a stale or repeated one does nothing.
/// </summary>
/// <param name="Reportable">
/// From the transaction that completed it: how many recipients failed, expired or were relayed
/// (<see cref="MtaCluster.Storage.CompletedMessage.Reportable"/>); 0 finishes it without reading its recipients.
/// Null (a sweep's wake-up): read them.
/// </param>
public sealed record FinishMessage(string MessageId, int? Reportable = null) : IMessageEntityMessage;

/// <summary>Recipients deferred long enough that the sender should hear of the delay; the entity checks the store again.</summary>
/// <param name="WillRetryUntil">When each recipient gives up (queued time plus its domain's maximum age), by recipient id.</param>
public sealed record RecipientsDelayed(string MessageId, IReadOnlyDictionary<long, DateTimeOffset> WillRetryUntil) : IMessageEntityMessage;
