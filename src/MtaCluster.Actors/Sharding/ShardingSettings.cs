namespace MtaCluster.Actors.Sharding;

public sealed record ShardingSettings
{
    /// <summary>An entity that has had no message for this long is stopped (passivated). Null turns passivation off.</summary>
    public TimeSpan? PassivateIdleEntityAfter { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>How often idle entities are looked for; by default half of <see cref="PassivateIdleEntityAfter"/>.</summary>
    public TimeSpan? PassivationCheckInterval { get; init; }

    /// <summary>Sent to an entity to stop it on idle passivation and on hand-off; it must make the entity stop.</summary>
    public object HandOffStopMessage { get; init; } = PoisonPill.Instance;
}
