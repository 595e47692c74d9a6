namespace MtaCluster.Delivery.Policies;

/// <summary>Adaptive backoff as written; a null setting inherits from <c>default</c>.</summary>
public sealed class BackoffOptions
{
    /// <summary>Replaces the inherited list entirely; an empty list turns backoff off.</summary>
    public List<string>? Patterns { get; set; }

    public int? MaxConnections { get; set; }

    /// <summary>0 keeps the policy's own rate while backed off.</summary>
    public int? MaxMessagesPerMinute { get; set; }

    public TimeSpan? RetryInterval { get; set; }

    public int? RecoverAfter { get; set; }

    public int? RecoveryFactor { get; set; }
}
