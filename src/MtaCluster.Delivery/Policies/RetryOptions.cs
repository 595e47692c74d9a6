namespace MtaCluster.Delivery.Policies;

/// <summary>The retry schedule as written; a null setting inherits from <c>default</c>.</summary>
public sealed class RetryOptions
{
    public List<TimeSpan>? Intervals { get; set; }

    public TimeSpan? ThenEvery { get; set; }

    public double? Jitter { get; set; }

    public TimeSpan? MaxAge { get; set; }
}
