using MtaCluster.Delivery.Classification;
using MtaCluster.Mail;
using MtaCluster.Storage;

namespace MtaCluster.Delivery.Domains;

/// <summary>A message for the entity of one destination domain; the shard region routes it by <see cref="Domain"/>.</summary>
public interface IDomainMessage
{
    string Domain { get; }
}

/// <summary>New or due work may be waiting for the domain: look in the spool.</summary>
public sealed record WakeDomain(string Domain) : IDomainMessage;

/// <summary>
/// Stop starting deliveries to the domain until resumed (or until <paramref name="Until"/>);
/// transactions under way finish. The suspension is stored, so it outlasts a restart.
/// </summary>
public sealed record SuspendDomain(string Domain, DateTimeOffset? Until = null, string? Reason = null) : IDomainMessage;

public sealed record ResumeDomain(string Domain) : IDomainMessage;

/// <summary>
/// An operator changed the domain's control state in the store: the entity reads its suspension
/// again, and acts on what else <paramref name="Change"/> says. Sent by whichever node the operator
/// asked; to the owner on another node it travels as a wake-up through the store.
/// </summary>
public sealed record DomainControlChanged(string Domain, DomainControlChange Change = DomainControlChange.Suspension) : IDomainMessage;

public enum DomainControlChange
{
    /// <summary>Suspended or resumed.</summary>
    Suspension,

    /// <summary>Its queue was made due now: any backoff pause and hold-off end, so it goes now.</summary>
    Flush,

    /// <summary>Its pending recipients were deleted: work fetched and not yet started is dropped (and fetched again if still there).</summary>
    Purge,
}

/// <summary>Asks the entity for a <see cref="DomainStatus"/>.</summary>
public sealed record GetDomainStatus(string Domain) : IDomainMessage;

public sealed record DomainStatus(
    string Domain,
    string PolicyKey,
    string ThrottleKey,
    bool Suspended,
    bool InBackoff,
    int ActiveConnections,
    int MaxConnections,
    int QueuedInMemory,
    int InFlight,
    long Delivered,
    long Deferred,
    long Bounced);

/// <summary>A transaction's worth of work: recipients of one message, at most the policy's recipients per transaction.</summary>
internal sealed record WorkItem(string MessageId, QueuedRecipient[] Recipients);

/// <summary>A worker finished one transaction: its recipients are settled (or left due to be sent again).</summary>
/// <param name="CommitFailed">The outcomes could not be recorded: the recipients are released unsettled and the domain holds off.</param>
internal sealed record TransactionSettled(long[] RecipientIds, int Delivered, int Deferred, int Bounced, IReadOnlyList<SmtpReply> TransientReplies, bool CommitFailed = false);

/// <summary>
/// A worker closed its connection; <paramref name="ConnectFailure"/> is set when it never got one to
/// any host, and <paramref name="LocalFailure"/> says whether those are our words (refused, timed out)
/// or the last host's reply (a 421 or 554 greeting). <paramref name="ResourceShortage"/> says the
/// failure was this machine's lack of sockets or ports: it says nothing about the domain.
/// </summary>
internal sealed record WorkerStopped(int WorkerId, SmtpReply? ConnectFailure, bool LocalFailure, bool ResourceShortage = false);

/// <summary>A timer tick that re-runs the pump (a rate token or a connection slot is due).</summary>
internal sealed record PumpTick
{
    public static readonly PumpTick Instance = new();
}
