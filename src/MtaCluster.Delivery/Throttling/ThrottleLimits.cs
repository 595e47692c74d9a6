namespace MtaCluster.Delivery.Throttling;

/// <summary>
/// The limits a <see cref="DomainThrottle"/> enforces. A null rate means unlimited.
/// </summary>
/// <param name="MaxConnections">Concurrent outbound connections to the destination.</param>
/// <param name="MaxMessagesPerMinute">Messages per minute, or null for no limit.</param>
/// <param name="MaxMessagesPerHour">Messages per hour, or null for no limit.</param>
/// <param name="MaxNewConnectionsPerMinute">Connection attempts per minute, or null for no limit.</param>
/// <param name="BurstWindow">
/// How far each rate may run ahead of its steady pace: a bucket holds this much of its own rate, and at
/// least one token. Zero makes every rate strictly paced.
/// </param>
public sealed record ThrottleLimits(
    int MaxConnections,
    int? MaxMessagesPerMinute,
    int? MaxMessagesPerHour,
    int? MaxNewConnectionsPerMinute,
    TimeSpan BurstWindow)
{
    public static readonly TimeSpan DefaultBurstWindow = TimeSpan.FromSeconds(10);

    /// <summary>Bucket capacity for a rate of <paramref name="perPeriod"/> tokens per <paramref name="period"/>.</summary>
    public int BurstFor(int perPeriod, TimeSpan period)
    {
        var burst = (long)Math.Floor((double)perPeriod * BurstWindow.Ticks / period.Ticks);
        return (int)Math.Clamp(burst, 1, int.MaxValue);
    }
}
