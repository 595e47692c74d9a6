namespace MtaCluster.Actors;

/// <summary>
/// How an actor reacts to its own failures. A restart waits an exponential backoff
/// (<see cref="MinBackoff"/> doubling up to <see cref="MaxBackoff"/>) so a crash caused by a broken
/// dependency does not spin; more than <see cref="MaxNrOfRetries"/> restarts within
/// <see cref="WithinTimeRange"/> stops the actor and publishes <see cref="ActorGaveUp"/>.
/// </summary>
public sealed record SupervisorStrategy
{
    public static SupervisorStrategy Default { get; } = new();

    /// <summary>Stops on the first failure: for actors whose state cannot be rebuilt, such as a live connection.</summary>
    public static SupervisorStrategy StoppingStrategy { get; } = new() { Decider = static _ => Directive.Stop };

    public int MaxNrOfRetries { get; init; } = 10;

    public TimeSpan WithinTimeRange { get; init; } = TimeSpan.FromMinutes(1);

    public TimeSpan MinBackoff { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Extra random share of each backoff (0.2 = up to 20 % longer), so crashed siblings do not restart in lockstep.</summary>
    public double RandomFactor { get; init; } = 0.2;

    public Func<Exception, Directive> Decider { get; init; } = static _ => Directive.Restart;

    /// <summary>The wait before restart number <paramref name="restartNumber"/> (1-based) within the window.</summary>
    public TimeSpan BackoffFor(int restartNumber)
    {
        var exponent = Math.Clamp(restartNumber - 1, 0, 30);
        var ticks = Math.Min((double)MinBackoff.Ticks * Math.Pow(2, exponent), MaxBackoff.Ticks);
        if (RandomFactor > 0)
        {
            ticks *= 1 + (Random.Shared.NextDouble() * RandomFactor);
        }

        return TimeSpan.FromTicks((long)ticks);
    }
}
