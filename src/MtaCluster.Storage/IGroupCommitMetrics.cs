namespace MtaCluster.Storage;

/// <summary>
/// Counters of a store's group-committing writer, for the control plane's metrics and for tests
/// that check that concurrent writes share transactions.
/// </summary>
public interface IGroupCommitMetrics
{
    /// <summary>A snapshot of the counters since the store was created.</summary>
    GroupCommitStatistics GetGroupCommitStatistics();
}

/// <param name="CommittedBatches">Transactions committed by the writer.</param>
/// <param name="CommittedMessages">Messages made durable by those transactions.</param>
/// <param name="CommittedOperations">All writes in them: messages, attempt records and deletions.</param>
/// <param name="FailedOperations">Writes whose caller got an exception.</param>
/// <param name="LargestBatch">The most writes one transaction has held.</param>
public sealed record GroupCommitStatistics(
    long CommittedBatches,
    long CommittedMessages,
    long CommittedOperations,
    long FailedOperations,
    int LargestBatch)
{
    /// <summary>Mean writes per committed transaction.</summary>
    public double AverageBatchSize => CommittedBatches == 0 ? 0 : (double)CommittedOperations / CommittedBatches;
}
