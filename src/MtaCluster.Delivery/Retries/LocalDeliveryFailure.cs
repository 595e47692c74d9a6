using MtaCluster.Mail;

namespace MtaCluster.Delivery.Retries;

/// <summary>
/// A delivery that failed on our side (the message could not be read, a bug), not at the receiver.
/// It counts as an attempt on the retry schedule like any temporary failure (RFC 3463 X.3.0, "other
/// or undefined mail system status"), and after <see cref="MaxInARow"/> of them in a row the
/// recipient fails: the same error will not go away by waiting, and retrying for the whole maximum
/// age would hold a poisoned message in the queue for days.
/// </summary>
public static class LocalDeliveryFailure
{
    public const int MaxInARow = 3;

    // The count in a row is the spool's per-recipient LocalFailures (QueuedRecipient, RecipientAttempt),
    // not parsed back out of the last reply: it survives passivation and restarts, and no wording,
    // truncation or receiver reply that looks like ours can change it.

    /// <summary>The reply for the <paramref name="inARow"/>th local failure in a row: 451 4.3.0 while retrying, 554 5.3.0 at the last.</summary>
    public static SmtpReply Reply(int inARow, Exception error)
    {
        var detail = $"{error.GetType().Name}: {error.Message}";
        return inARow >= MaxInARow
            ? new SmtpReply(554, new EnhancedStatusCode(5, 3, 0), $"local error delivering the message, {inARow} times in a row: {detail}")
            : new SmtpReply(451, new EnhancedStatusCode(4, 3, 0), $"local error delivering the message ({inARow} of {MaxInARow} in a row): {detail}");
    }

    public static bool IsFinal(int inARow) => inARow >= MaxInARow;
}
