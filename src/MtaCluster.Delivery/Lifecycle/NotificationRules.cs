using MtaCluster.Mail;
using MtaCluster.Storage;

namespace MtaCluster.Delivery.Lifecycle;

/// <summary>Who hears what (RFC 3461 §4.1, RFC 5321 §6.1 and §4.5.5).</summary>
public static class NotificationRules
{
    /// <summary>
    /// Nothing is ever sent to the null sender: that is what a DSN is sent from, so a DSN that fails is
    /// never bounced (RFC 5321 §4.5.5), and no two MTAs can bounce a message between them forever.
    /// </summary>
    public static bool MayNotify(string reversePath) => reversePath.Length > 0;

    /// <summary>A failure is reported unless NOTIFY says otherwise (NEVER, or a list without FAILURE).</summary>
    public static bool WantsFailure(DsnNotify notify) => notify == DsnNotify.NotGiven || notify.HasFlag(DsnNotify.Failure);

    /// <summary>A delay is reported when NOTIFY is absent (our choice, as RFC 3461 §4.1 allows) or names DELAY.</summary>
    public static bool WantsDelay(DsnNotify notify) => notify == DsnNotify.NotGiven || notify.HasFlag(DsnNotify.Delay);

    /// <summary>
    /// Success is reported only when NOTIFY names it (RFC 3461 §4.1), and then by this node only when the
    /// next hop did not advertise DSN: otherwise NOTIFY went on with the message, and reporting is the
    /// next hop's job.
    /// </summary>
    public static bool WantsSuccess(DsnNotify notify) => notify.HasFlag(DsnNotify.Success) && !notify.HasFlag(DsnNotify.Never);

    /// <summary>
    /// The recipients the final DSN of a complete message reports on: those that failed or expired and
    /// asked to hear of it, and those relayed to a next hop without DSN that asked for success.
    /// </summary>
    public static IReadOnlyList<QueuedRecipient> FinalToReport(IReadOnlyList<QueuedRecipient> recipients) =>
        recipients.Where(r => r.State switch
        {
            RecipientState.Failed or RecipientState.Expired => WantsFailure(r.Notify),
            RecipientState.Relayed => WantsSuccess(r.Notify),
            _ => false,
        }).ToArray();

    /// <summary>
    /// Whether a still-pending recipient is due a delay notice at <paramref name="now"/>: deferred for
    /// <paramref name="after"/> since it was queued, and not told within the last <paramref name="after"/>.
    /// </summary>
    public static bool DueDelayNotice(QueuedRecipient recipient, DateTimeOffset now, TimeSpan after) =>
        recipient.State == RecipientState.Pending
        && WantsDelay(recipient.Notify)
        && now - recipient.QueuedAt >= after
        && (recipient.DelayNoticeAt is not { } told || now - told >= after);
}
