using MtaCluster.Mail;

namespace MtaCluster.Storage;

/// <summary>Where a recipient stands. Only <see cref="Pending"/> is ever picked up for delivery.</summary>
/// <remarks>
/// <see cref="Relayed"/> is a delivered recipient that is still owed a report: the next hop took it
/// without advertising DSN, and its NOTIFY asked for SUCCESS, so RFC 3461 §4.1 leaves the "relayed"
/// DSN to us. It is a state of its own, not a flag, so the transaction that completes the message
/// counts it with the failures in one index seek, and a message with nothing to report still
/// finishes without its recipients being read.
/// </remarks>
public enum RecipientState : byte { Pending = 0, Delivered = 1, Failed = 2, Expired = 3, Relayed = 4 }

/// <summary>A message as the SMTP server accepted it, ready to be spooled.</summary>
/// <param name="Id">Sortable unique queue id (see <see cref="QueueId"/>).</param>
/// <param name="ReversePath">MAIL FROM address; empty string for the null sender <c>&lt;&gt;</c>.</param>
/// <param name="Content">
/// The whole message as it will be delivered (trace headers included), CRLF line ends, not dot-stuffed;
/// read from where it lies while the message is stored, and not after <see cref="IQueueStore.EnqueueAsync"/> completes.
/// </param>
/// <param name="Shard">Shard of the message's own entity (by message id, with the cluster's shard function), which learns when every recipient is final.</param>
/// <param name="Tenant">Who submitted it (a configured tenant's name); every recipient waits in this tenant's queue.</param>
/// <param name="Lane">Which of each destination's two queues its recipients wait in.</param>
/// <param name="Campaign">The X-MtaCluster-Campaign tag, for the accounting log only, or null.</param>
public sealed record SpoolMessage(
    string Id,
    string ReversePath,
    IReadOnlyList<SpoolRecipient> Recipients,
    MessageContent Content,
    DateTimeOffset ReceivedAt,
    MessageBodyType BodyType = MessageBodyType.SevenBit,
    bool SmtpUtf8 = false,
    DsnReturn DsnReturn = DsnReturn.NotGiven,
    string? EnvelopeId = null,
    string? ClientAddress = null,
    string? AuthenticatedUser = null,
    int Shard = 0,
    string Tenant = SpoolMessage.DefaultTenant,
    DeliveryLane Lane = DeliveryLane.Bulk,
    string? Campaign = null)
{
    /// <summary>The tenant of mail nobody configured a tenant for, and of rows stored before tenants existed.</summary>
    public const string DefaultTenant = "default";
}

/// <summary>One recipient of a message.</summary>
/// <param name="Domain">Routing domain: lower-case A-label.</param>
/// <param name="Shard">Shard of the domain's entity (computed by the caller with the cluster's shard function).</param>
/// <param name="OriginalRecipient">ORCPT of RFC 3461 §4.2, as given (addr-type;xtext), or null.</param>
public sealed record SpoolRecipient(
    string Address,
    string Domain,
    int Shard,
    string? OriginalRecipient = null,
    DsnNotify Notify = DsnNotify.NotGiven);

/// <summary>A recipient row as stored.</summary>
/// <param name="LocalFailures">
/// Attempts in a row that failed on our side (see <see cref="RecipientAttempt.LocalFailures"/>); 0 on
/// rows stored before the spool kept the count.
/// </param>
/// <param name="DelayNoticeAt">When the sender was last told this recipient is delayed (RFC 3464 Action: delayed), or null.</param>
/// <param name="LastAttemptAt">When the last attempt ended, or null before the first (or on rows stored before the spool kept it).</param>
/// <param name="RemoteMta">The host that gave <paramref name="LastReply"/>, or null.</param>
public sealed record QueuedRecipient(
    long RecipientId,
    string MessageId,
    string Address,
    string Domain,
    int Shard,
    string? OriginalRecipient,
    DsnNotify Notify,
    RecipientState State,
    int Attempts,
    DateTimeOffset NextAttemptAt,
    DateTimeOffset QueuedAt,
    string? LastReply,
    int LocalFailures,
    DateTimeOffset? DelayNoticeAt = null,
    DateTimeOffset? LastAttemptAt = null,
    string? RemoteMta = null,
    DeliveryLane Lane = DeliveryLane.Bulk,
    string Tenant = SpoolMessage.DefaultTenant);

/// <summary>One (lane, tenant) queue of a destination with pending recipients, and its earliest next-attempt time.</summary>
public readonly record struct LaneQueue(DeliveryLane Lane, string Tenant, DateTimeOffset NextAttemptAt);

/// <summary>The outcome of one delivery attempt for one recipient.</summary>
/// <param name="NextAttemptAt">When to try again; only meaningful with <see cref="RecipientState.Pending"/>.</param>
/// <param name="Reply">The remote reply or local diagnostic, e.g. "550 5.1.1 no such user".</param>
/// <param name="LocalFailures">
/// The recipient's count of attempts in a row that failed on our side, as it stands after this one:
/// the stored count plus one for a local failure, 0 once an attempt reached the receiver's reply,
/// and the stored count unchanged for an attempt that ended in a reply of our own (no connection, a timeout).
/// It is kept apart from <paramref name="Reply"/> so that no reply text, ours or a receiver's, can change it.
/// </param>
/// <param name="AttemptedAt">When the attempt ended (the DSN's Last-Attempt-Date); null: when the store records it.</param>
/// <param name="RemoteMta">The host that gave <paramref name="Reply"/> (the DSN's Remote-MTA), or null when none did.</param>
public sealed record RecipientAttempt(
    long RecipientId,
    RecipientState State,
    DateTimeOffset NextAttemptAt,
    string? Reply,
    int LocalFailures = 0,
    DateTimeOffset? AttemptedAt = null,
    string? RemoteMta = null);

/// <summary>A stored message: its envelope, and its body to be read when needed.</summary>
public sealed record StoredMessage(
    string Id,
    string ReversePath,
    StoredBody Body,
    DateTimeOffset ReceivedAt,
    MessageBodyType BodyType,
    bool SmtpUtf8,
    DsnReturn DsnReturn,
    string? EnvelopeId,
    string? ClientAddress,
    string? AuthenticatedUser,
    string Tenant = SpoolMessage.DefaultTenant,
    DeliveryLane Lane = DeliveryLane.Bulk,
    string? Campaign = null);

/// <summary>A domain with pending work and its earliest due time.</summary>
public sealed record DomainWork(string Domain, int Shard, DateTimeOffset NextAttemptAt);

/// <summary>
/// One page of <see cref="IQueueStore.GetPendingDomainsAsync"/>: the pending domains among the next
/// domains in name order, and where the following page starts (null after the last).
/// </summary>
public sealed record PendingDomainsPage(IReadOnlyList<DomainWork> Domains, string? Next);

/// <summary>An operator's suspension of delivery to a domain; it lasts until resumed, or until <see cref="Until"/> when set.</summary>
public sealed record DomainSuspension(string Domain, DateTimeOffset SuspendedAt, DateTimeOffset? Until = null, string? Reason = null)
{
    public bool IsInForce(DateTimeOffset now) => Until is not { } until || until > now;
}

/// <summary>What <see cref="IQueueStore.PurgeDomainAsync"/> removed.</summary>
/// <param name="Recipients">Pending recipients deleted, one per address and message.</param>
/// <param name="RemovedMessages">Messages deleted because no recipient was left.</param>
/// <param name="Completed">Messages left with only final recipients, marked complete in the same transaction.</param>
public sealed record DomainPurge(string Domain, IReadOnlyList<PurgedRecipient> Recipients, int RemovedMessages, IReadOnlyList<CompletedMessage> Completed)
{
    /// <summary>The purge as a whole, from the parts it was done in.</summary>
    public static DomainPurge Combine(string domain, IReadOnlyList<DomainPurge> parts) => parts.Count == 1 ? parts[0] :
        new(domain, parts.SelectMany(p => p.Recipients).ToList(), parts.Sum(p => p.RemovedMessages), parts.SelectMany(p => p.Completed).ToList());
}

/// <summary>A pending recipient a purge deleted: enough for an accounting line.</summary>
public sealed record PurgedRecipient(
    long RecipientId,
    string MessageId,
    string Address,
    int Attempts,
    DateTimeOffset QueuedAt,
    DeliveryLane Lane = DeliveryLane.Bulk,
    string Tenant = SpoolMessage.DefaultTenant);

/// <summary>
/// A message whose every recipient is final: recorded in the same transaction as its last
/// recipient's outcome, and gone once <see cref="IQueueStore.FinishMessageAsync"/> has run.
/// </summary>
/// <param name="Reportable">
/// Recipients a DSN may report on: failed, expired or <see cref="RecipientState.Relayed"/>. 0 means
/// no DSN can be due and the recipients need not be read.
/// </param>
/// <param name="Removed">
/// The message is gone already: every recipient was delivered and the store, told to remove delivered
/// mail on completion, deleted it in the transaction that completed it. Nothing is left to finish.
/// </param>
public sealed record CompletedMessage(string MessageId, int Shard, DateTimeOffset CompletedAt, int Reportable, bool Removed = false);

/// <summary>The spool's footprint: <paramref name="FileBytes"/> includes <paramref name="FreeBytes"/> of pages ready for reuse.</summary>
public sealed record SpoolSpace(long FileBytes, long FreeBytes, long WriteAheadLogBytes);

/// <summary>Queue counters; <paramref name="Delivered"/> includes <see cref="RecipientState.Relayed"/> recipients.</summary>
public sealed record QueueStatistics(long Messages, long Pending, long Delivered, long Failed, long Expired);
