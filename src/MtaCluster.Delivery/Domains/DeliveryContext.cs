using Microsoft.Extensions.Logging;
using MtaCluster.Actors;
using MtaCluster.Delivery.Accounting;
using MtaCluster.Delivery.Classification;
using MtaCluster.Delivery.Policies;
using MtaCluster.Delivery.Scheduling;
using MtaCluster.Delivery.Tenants;
using MtaCluster.Delivery.Throttling;
using MtaCluster.Storage;

namespace MtaCluster.Delivery.Domains;

/// <summary>What every domain entity of a node shares.</summary>
public sealed class DeliveryContext(
    IQueueStore store,
    MailRouteResolver routes,
    DomainPolicyHolder policies,
    IAccountingSink accounting,
    DeliveryOptions options,
    ILoggerFactory loggerFactory,
    TimeProvider? timeProvider = null,
    ISmtpConnector? connector = null)
{
    /// <summary>A context whose policy never changes (tests, tools): no reload can reach it.</summary>
    public DeliveryContext(
        IQueueStore store,
        MailRouteResolver routes,
        DomainPolicyResolver policies,
        BounceClassifier classifier,
        IAccountingSink accounting,
        DeliveryOptions options,
        ILoggerFactory loggerFactory,
        TimeProvider? timeProvider = null,
        ISmtpConnector? connector = null)
        : this(store, routes, new DomainPolicyHolder(new DomainPolicySnapshot(1, policies, classifier)), accounting, options, loggerFactory, timeProvider, connector)
    {
    }

    public IQueueStore Store { get; } = store;
    public MailRouteResolver Routes { get; } = routes;

    /// <summary>The policy in force; a SIGHUP swaps it. Take <see cref="DomainPolicyHolder.Current"/> once per decision.</summary>
    public DomainPolicyHolder PolicyHolder { get; } = policies;

    /// <summary>The resolver in force now.</summary>
    public DomainPolicyResolver Policies => PolicyHolder.Current.Resolver;

    /// <summary>The bounce classifier in force now, built from the same file as <see cref="Policies"/>.</summary>
    public BounceClassifier Classifier => PolicyHolder.Current.Classifier;
    public IAccountingSink Accounting { get; } = accounting;
    public DeliveryOptions Options { get; } = options;
    public ILoggerFactory LoggerFactory { get; } = loggerFactory;

    /// <summary>The message entities' log category, for what the store finished without one (a delivered message it removed).</summary>
    public ILogger MessageLog { get; } = loggerFactory.CreateLogger<Lifecycle.MessageEntity>();
    public TimeProvider Time { get; } = timeProvider ?? TimeProvider.System;
    /// <summary>The node's outbound connections, shared by every domain.</summary>
    public ConnectionBudget Connections { get; } = new(ConnectionBudget.CapacityFor(options.MaxConnections, DescriptorLimit.Read()), timeProvider);

    public ISmtpConnector Connector { get; } = connector ?? SmtpConnector.Instance;

    public string HeloName { get; } = string.IsNullOrWhiteSpace(options.HeloName) ? Environment.MachineName.ToLowerInvariant() : options.HeloName!;

    /// <summary>
    /// The shard region of message entities, told when outcomes complete a message or delay a
    /// recipient long enough for a notice; null where no lifecycle runs (some tests).
    /// </summary>
    public IActorRef? Messages { get; internal set; }

    /// <summary>
    /// Whether this node owns the domain's shard now (a cluster; null: always). Read before every
    /// transaction and every refill: a node that lost a lease must not send what another node now
    /// sends, and its stop message may sit behind other work in the entity's mailbox.
    /// </summary>
    public Func<string, bool>? IsLocalDomain { get; internal set; }

    public bool OwnsDomain(string domain) => IsLocalDomain?.Invoke(domain) ?? true;

    /// <summary>Where each domain lives (set by the <see cref="DeliveryEngine"/>); null before one is built.</summary>
    public DomainPlacement? Placement { get; internal set; }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _perNodeGroupWarned = new(StringComparer.Ordinal);

    /// <summary>
    /// A cluster node's domain that joined an MX-rollup group by its MX hosts alone lives on its own shard,
    /// so the node owning it counts it against the group apart from the group's other domains: the group's
    /// limits hold per node for it. Said once per domain and node life, with what makes them exact.
    /// </summary>
    internal void WarnIfGroupLimitsPerNode(DomainPolicyMatch match, ILogger logger)
    {
        if (IsLocalDomain is null || match.Kind != PolicyMatchKind.MxPattern || match.IsListed) return;
        if (Placement?.IsListed(match.Domain) == true) return;
        if (!_perNodeGroupWarned.TryAdd(match.Domain, 0)) return;
        logger.LogWarning("{Domain} joined throttle group {Group} by its MX hosts: its group limits hold per node, not cluster-wide; "
            + "list it under the pattern's domains: in domains.yaml (effective at restart) to make them exact", match.Domain, match.ThrottleKey);
    }

    /// <summary>A recipient deferred this long since it was queued is due a delay notice (with <see cref="Messages"/> set).</summary>
    public TimeSpan DelayNoticeAfter { get; internal set; } = TimeSpan.FromHours(4);

    /// <summary>How many domains deliver and how many wait for their turn (see <see cref="DomainWakeScheduler"/>).</summary>
    public ActiveDomainSlots ActiveDomainSlots { get; } = new();

    /// <summary>Who submits as which tenant, their weights and own limits (node.yaml Tenants), as now in force.</summary>
    public TenantDirectory Tenants
    {
        get => TenantHolder.Current;
        init => TenantHolder = new TenantDirectoryHolder(value);
    }

    /// <summary>Holds <see cref="Tenants"/>; a reload of node.yaml replaces what it holds.</summary>
    public TenantDirectoryHolder TenantHolder { get; init; } = new(new TenantDirectory(null));

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, SharedTokenBucket> _tenantBuckets = new(StringComparer.Ordinal);

    /// <summary>
    /// The bucket of a tenant's own MaxMessagesPerHour, which every domain it sends to draws from;
    /// null for a tenant without one. Made once per tenant and kept for the node's life, so the
    /// hour's count survives a domain entity's passivation; a reloaded limit reshapes the same bucket,
    /// keeping what the hour has already used (a reload hands out no fresh burst).
    /// </summary>
    public SharedTokenBucket? TenantBucket(Tenant tenant)
    {
        if (tenant.MaxMessagesPerHour is not int perHour) return null;
        var burst = new ThrottleLimits(0, null, null, null, ThrottleLimits.DefaultBurstWindow).BurstFor(perHour, TimeSpan.FromHours(1));
        var bucket = _tenantBuckets.GetOrAdd(tenant.Name, _ => new SharedTokenBucket(new TokenBucket(burst, perHour, TimeSpan.FromHours(1), Time.GetUtcNow())));
        bucket.Reshape(burst, perHour, TimeSpan.FromHours(1), Time.GetUtcNow());
        return bucket;
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Group, string Tenant), TenantRateLimiter> _tenantLimiters = new();

    /// <summary>
    /// A tenant's limiter at one throttle group (domains.yaml <c>tenants:</c> under a domain or MX
    /// pattern); null when the tenant is unlimited there. One per group and tenant, so the domains of an
    /// MX-rollup group share the tenant's allowance as they share the group's rate, and kept for the
    /// node's life, so neither a reload nor an entity's passivation refills it.
    /// </summary>
    public TenantRateLimiter? TenantLimiter(string throttleKey, string tenant, TenantRateLimits limits, TimeSpan burstWindow)
    {
        if (limits.IsUnlimited) return null;
        var now = Time.GetUtcNow();
        var limiter = _tenantLimiters.GetOrAdd((throttleKey, tenant), _ => TenantRateLimiter.Create(limits, burstWindow, now)!);
        limiter.Reshape(limits, burstWindow, now);
        return limiter;
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, ThrottleGroup> _throttleGroups = new(StringComparer.Ordinal);

    /// <summary>
    /// The throttle and backoff state a domain works under. Domains under an MX-pattern policy share
    /// their group's (PowerMTA's MX rollup: gmail.com and googlemail.com count against Google's limits
    /// together); every other domain has its own, which goes away with its entity.
    /// </summary>
    /// <param name="generation">The <see cref="DomainPolicySnapshot.Generation"/> <paramref name="match"/> was resolved from.</param>
    public ThrottleGroup ThrottleGroupFor(DomainPolicyMatch match, long generation = 0)
    {
        if (match.Kind != PolicyMatchKind.MxPattern) return new ThrottleGroup(match.Policy, Time, generation);
        var group = _throttleGroups.GetOrAdd(match.ThrottleKey, _ => new ThrottleGroup(match.Policy, Time, generation));
        // A group made under an earlier domains.yaml takes the reloaded limits from the first of its domains to look.
        group.Apply(match.Policy, generation);
        return group;
    }
}
