namespace MtaCluster.Storage;

/// <summary>
/// The queue as a whole, for the control plane: recipients by state, and when the oldest recipient
/// still pending was queued (null when none is).
/// </summary>
public sealed record QueueSummary(QueueStatistics Totals, DateTimeOffset? OldestPendingQueuedAt);

/// <summary>
/// One destination domain's queue: its pending recipients, when the oldest of them was queued, and
/// the reply of the most recent attempt on any of them (null before the first).
/// </summary>
public sealed record DomainQueue(string Domain, long Pending, DateTimeOffset? OldestQueuedAt, string? LastReply = null, DateTimeOffset? LastAttemptAt = null);

/// <summary>
/// Where a message stands in its life after delivery: complete since <paramref name="CompletedAt"/>
/// (every recipient final), with <paramref name="Reportable"/> recipients a DSN may report on, and
/// finished (its DSN, if any, queued) when <paramref name="RetainedUntil"/> is set, kept until then.
/// </summary>
public sealed record MessageCompletion(DateTimeOffset CompletedAt, int Reportable, DateTimeOffset? RetainedUntil)
{
    public bool Finished => RetainedUntil is not null;
}
