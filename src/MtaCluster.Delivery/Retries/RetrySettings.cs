namespace MtaCluster.Delivery.Retries;

/// <summary>
/// A resolved retry schedule: the first retries follow <see cref="Intervals"/>, later ones repeat
/// <see cref="ThenEvery"/>; every delay is spread by ±<see cref="Jitter"/>; a recipient still undelivered
/// <see cref="MaxAge"/> after it was queued expires (Postfix's <c>maximal_queue_lifetime</c>,
/// PowerMTA's <c>bounce-after</c>).
/// </summary>
public sealed record RetrySettings(
    IReadOnlyList<TimeSpan> Intervals,
    TimeSpan ThenEvery,
    double Jitter,
    TimeSpan MaxAge)
{
    /// <summary>5m, 10m, 20m, 40m, 1h, then every 2h, ±10%, for at most 5 days.</summary>
    public static RetrySettings Default { get; } = new(
        [TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(20), TimeSpan.FromMinutes(40), TimeSpan.FromHours(1)],
        TimeSpan.FromHours(2),
        0.1,
        TimeSpan.FromDays(5));

    /// <summary>The delay before the retry that follows attempt <paramref name="attemptNumber"/>, before jitter.</summary>
    public TimeSpan BaseDelay(int attemptNumber)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(attemptNumber);
        return attemptNumber <= Intervals.Count ? Intervals[attemptNumber - 1] : ThenEvery;
    }
}
