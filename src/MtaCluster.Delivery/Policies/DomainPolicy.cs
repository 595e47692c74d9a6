using MtaCluster.Delivery.Retries;
using MtaCluster.Delivery.Throttling;
using MtaCluster.Mail;

namespace MtaCluster.Delivery.Policies;

/// <summary>
/// A fully resolved delivery policy: every setting has a value (inherited from <c>default</c> where the
/// entry left it unset). Rates that are null are unlimited.
/// </summary>
/// <param name="Key">The configuration entry that produced it: <c>default</c>, a domain, a <c>*.</c> wildcard, or <c>mx:</c>name.</param>
public sealed record DomainPolicy(
    string Key,
    int MaxConnections,
    int MaxMessagesPerConnection,
    int MaxRecipientsPerTransaction,
    int? MaxMessagesPerMinute,
    int? MaxMessagesPerHour,
    int? MaxNewConnectionsPerMinute,
    TimeSpan BurstWindow,
    RetrySettings Retry,
    TlsPolicy Tls,
    EgressPool EgressPool,
    StaticRoute? Route,
    BackoffSettings Backoff)
{
    public const string DefaultKey = "default";

    /// <summary>
    /// Limits of single tenants here, by lower-case tenant name; a tenant not listed has none of its
    /// own. Not a positional member: most policies have none, and every existing constructor call stays.
    /// </summary>
    public IReadOnlyDictionary<string, TenantRateLimits> TenantLimits { get; init; } = TenantRateLimits.None;

    /// <summary>The limits of <paramref name="tenant"/> (lower case) here; unlimited when not listed.</summary>
    public TenantRateLimits LimitsFor(string tenant) => TenantLimits.GetValueOrDefault(tenant) ?? Unlimited;

    private static readonly TenantRateLimits Unlimited = new(null, null);

    /// <summary>The limits a <see cref="DomainThrottle"/> and <see cref="BackoffState"/> start from.</summary>
    public ThrottleLimits ThrottleLimits => new(
        MaxConnections,
        MaxMessagesPerMinute,
        MaxMessagesPerHour,
        MaxNewConnectionsPerMinute,
        BurstWindow);

    /// <summary>The built-in policy for a bulk MTA, used for every setting <c>default</c> leaves out.</summary>
    public static DomainPolicy BuiltIn { get; } = new(
        DefaultKey,
        MaxConnections: 10,
        MaxMessagesPerConnection: 100,
        MaxRecipientsPerTransaction: 100,
        MaxMessagesPerMinute: null,
        MaxMessagesPerHour: null,
        MaxNewConnectionsPerMinute: null,
        BurstWindow: ThrottleLimits.DefaultBurstWindow,
        Retry: RetrySettings.Default,
        Tls: TlsPolicy.Opportunistic,
        EgressPool: new EgressPool(EgressPool.DefaultName, [], EgressPoolSelection.RoundRobin),
        Route: null,
        Backoff: BackoffSettings.Default);
}
