namespace MtaCluster.Actors;

/// <summary>What to do with an actor whose handler threw.</summary>
public enum Directive
{
    /// <summary>Keep the instance and its state; drop the failing message.</summary>
    Resume,

    /// <summary>Replace the instance with a new one from the factory, after a backoff.</summary>
    Restart,

    /// <summary>Stop the actor.</summary>
    Stop,
}
