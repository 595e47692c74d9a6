namespace MtaCluster.Delivery.Retries;

/// <summary>The outcome of <see cref="RetrySchedule.NextAttempt"/>: retry at a time, or give up as expired.</summary>
public readonly record struct RetryDecision
{
    /// <summary>RFC 3463 "delivery time expired", the status reported when the retry period runs out.</summary>
    public const string ExpiredStatusCode = "4.4.7";

    private RetryDecision(bool isExpired, DateTimeOffset? at)
    {
        IsExpired = isExpired;
        At = at;
    }

    public static RetryDecision Expired { get; } = new(true, null);

    public bool IsExpired { get; }

    /// <summary>When to try again; null when expired.</summary>
    public DateTimeOffset? At { get; }

    /// <summary><see cref="ExpiredStatusCode"/> when expired, otherwise null.</summary>
    public string? StatusCode => IsExpired ? ExpiredStatusCode : null;

    public static RetryDecision RetryAt(DateTimeOffset at) => new(false, at);
}
