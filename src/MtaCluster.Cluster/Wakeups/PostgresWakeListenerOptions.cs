namespace MtaCluster.Cluster.Wakeups;

public sealed record PostgresWakeListenerOptions
{
    public required string ConnectionString { get; init; }

    /// <summary>How long the connection may stay quiet before a ping checks it is still alive (a dead peer sends nothing).</summary>
    public TimeSpan IdleCheckInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>First wait before reconnecting; doubles on each failure up to <see cref="MaxReconnectDelay"/>.</summary>
    public TimeSpan MinReconnectDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Bounds connecting, LISTEN and the ping.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
