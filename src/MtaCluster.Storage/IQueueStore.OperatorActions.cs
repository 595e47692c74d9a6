namespace MtaCluster.Storage;

/// <summary>
/// An operator's action on one message, as the store applied it: the recipients it changed (as they
/// are after it) and, for a bounce, the completion it wrote.
/// </summary>
/// <param name="Shard">The shard of the message's own entity (the one that sends its DSN).</param>
/// <param name="Recipients">
/// Bounce: the recipients that were pending and failed now. Retry: the pending recipients, all due now.
/// Remove: every recipient the message had, as they were when it was removed.
/// </param>
/// <param name="Completed">The completion the bounce wrote (its last pending recipient failed here), or null.</param>
public sealed record MessageAction(string MessageId, int Shard, IReadOnlyList<QueuedRecipient> Recipients, CompletedMessage? Completed = null);

// An operator's writes on one message (pbm mta message bounce|retry|delete), from any node of the cluster.
//
// They are not a shard owner's writes and carry no fencing token: the node that takes the request need
// not own the message's or its domains' shards. What keeps them safe beside the owner's own writes is
// the row, not the lease: they change only recipients that are still pending (state = 0), in one
// transaction under the same row locks the owner's writes take, and the owner records an outcome only
// for a recipient that is still pending (RecordAttemptsAsync). So whichever commits first decides a
// recipient, and the other changes nothing: an outcome of a delivery in flight cannot bring a bounced
// recipient back to pending or overwrite its failure, nor recreate a removed one; a bounced message is
// complete in the bounce's own transaction, and FinishMessageAsync (fenced as ever) finishes it once,
// so it has one DSN at most. The owner learns of it from a wake-up after the commit.
public partial interface IQueueStore
{
    /// <summary>
    /// Fails every pending recipient of the message permanently with <paramref name="reply"/> (an
    /// operator's bounce), as a receiver's refusal would: no attempt is counted and no remote MTA named,
    /// the reply is ours. When that leaves no recipient pending, the message is marked complete in the
    /// same transaction, exactly as <see cref="RecordAttemptsAsync"/> does, so its owner sends the DSN.
    /// Null when the message is not in the spool.
    /// </summary>
    Task<MessageAction?> BounceMessageAsync(string messageId, string reply, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Makes every pending recipient of the message due at <paramref name="now"/> (none is made later). Null when the message is not in the spool.</summary>
    Task<MessageAction?> RetryMessageAsync(string messageId, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes the message with its body, recipients and completion, whatever their states, and queues
    /// no notification (Postfix's <c>postsuper -d</c>). Null when the message is not in the spool.
    /// </summary>
    Task<MessageAction?> RemoveMessageAsync(string messageId, CancellationToken cancellationToken = default);
}
