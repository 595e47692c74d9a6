namespace MtaCluster.Delivery.Retries;

/// <summary>
/// Computes when a deferred recipient is tried next. Jitter spreads retries so that recipients deferred
/// together (one 421 from a large receiver) do not all come back in the same second.
/// </summary>
public sealed class RetrySchedule
{
    private readonly Random _random;
    private readonly bool _sharedRandom;

    /// <param name="settings">The schedule.</param>
    /// <param name="random">Source of jitter; a seeded instance makes the schedule reproducible. Defaults to <see cref="Random.Shared"/>.</param>
    public RetrySchedule(RetrySettings settings, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Intervals.Any(i => i <= TimeSpan.Zero) || settings.ThenEvery <= TimeSpan.Zero)
        {
            throw new ArgumentException("Retry intervals must be positive.", nameof(settings));
        }

        if (settings.Jitter is < 0 or >= 1 || double.IsNaN(settings.Jitter))
        {
            throw new ArgumentException("Retry jitter must be in [0, 1).", nameof(settings));
        }

        if (settings.MaxAge <= TimeSpan.Zero)
        {
            throw new ArgumentException("Retry max age must be positive.", nameof(settings));
        }

        Settings = settings;
        _sharedRandom = random is null;
        _random = random ?? Random.Shared;
    }

    public RetrySettings Settings { get; }

    /// <summary>
    /// The next attempt after attempt <paramref name="attemptNumber"/> (1 for the first delivery attempt)
    /// failed temporarily at <paramref name="now"/>.
    /// </summary>
    /// <remarks>
    /// Expired once <paramref name="now"/> has reached <paramref name="queuedAt"/> + max age. A retry that
    /// would fall after that deadline is moved onto it, so the last attempt happens at the deadline and the
    /// recipient bounces at its max age rather than up to one full interval later.
    /// </remarks>
    public RetryDecision NextAttempt(int attemptNumber, DateTimeOffset queuedAt, DateTimeOffset now)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(attemptNumber);
        var deadline = queuedAt + Settings.MaxAge;
        if (now >= deadline)
        {
            return RetryDecision.Expired;
        }

        var delay = Jittered(Settings.BaseDelay(attemptNumber));
        var at = now + delay;
        return RetryDecision.RetryAt(at > deadline ? deadline : at);
    }

    private TimeSpan Jittered(TimeSpan delay)
    {
        if (Settings.Jitter == 0)
        {
            return delay;
        }

        double sample;
        if (_sharedRandom)
        {
            sample = _random.NextDouble();
        }
        else
        {
            // A caller-supplied Random is not thread-safe.
            lock (_random)
            {
                sample = _random.NextDouble();
            }
        }

        var factor = 1 + Settings.Jitter * (2 * sample - 1);
        return TimeSpan.FromTicks((long)(delay.Ticks * factor));
    }
}
