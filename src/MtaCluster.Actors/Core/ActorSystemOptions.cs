namespace MtaCluster.Actors;

public sealed record ActorSystemOptions
{
    /// <summary>
    /// Messages an actor handles per scheduling before it yields its thread: bigger is faster for a
    /// busy actor, smaller is fairer to the others.
    /// </summary>
    public int Throughput { get; init; } = 100;

    /// <summary>The clock for timers, ask timeouts, backoff and passivation; replace it to drive time in tests.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Used by actors whose <see cref="Props"/> name no strategy.</summary>
    public SupervisorStrategy DefaultSupervisorStrategy { get; init; } = SupervisorStrategy.Default;
}
