namespace MtaCluster.Actors;

/// <summary>Mailbox shape. Unbounded by default; a bounded mailbox gives backpressure through <see cref="IActorRef.TellAsync"/>.</summary>
public sealed record MailboxOptions
{
    public static MailboxOptions Unbounded { get; } = new();

    /// <summary>Null for unbounded.</summary>
    public int? BoundedCapacity { get; init; }

    public static MailboxOptions Bounded(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        return new MailboxOptions { BoundedCapacity = capacity };
    }
}
