namespace MtaCluster.Delivery.Accounting;

/// <summary>
/// Receives every attempt outcome. The accounting log is one sink; the message entity (which needs the
/// outcomes to decide on DSNs) can be another, joined with <see cref="CompositeAccountingSink"/>.
/// Implementations must return quickly and must not block on I/O: callers are delivery loops.
/// </summary>
public interface IAccountingSink
{
    void Record(AccountingRecord record);
}
