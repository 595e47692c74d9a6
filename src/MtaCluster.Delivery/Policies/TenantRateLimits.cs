namespace MtaCluster.Delivery.Policies;

/// <summary>
/// A tenant's message rate at one destination (or throttle group), on top of the destination's own
/// rate: the tenant's sends there draw from both. Null is unlimited.
/// </summary>
public sealed record TenantRateLimits(int? MaxMessagesPerMinute, int? MaxMessagesPerHour)
{
    public static IReadOnlyDictionary<string, TenantRateLimits> None { get; } = new Dictionary<string, TenantRateLimits>(StringComparer.Ordinal);

    public bool IsUnlimited => MaxMessagesPerMinute is null && MaxMessagesPerHour is null;
}
