using Microsoft.Extensions.Logging;
using MtaCluster.Actors;
using MtaCluster.Delivery.Accounting;
using MtaCluster.Delivery.Classification;
using MtaCluster.Delivery.Policies;
using MtaCluster.Delivery.Throttling;
using MtaCluster.Storage;

namespace MtaCluster.Delivery.Domains;

/// <summary>What every domain entity of a node shares.</summary>
public sealed class DeliveryContext(
    IQueueStore store,
    MailRouteResolver routes,
    DomainPolicyResolver policies,
    BounceClassifier classifier,
    IAccountingSink accounting,
    DeliveryOptions options,
    ILoggerFactory loggerFactory,
    TimeProvider? timeProvider = null,
    ISmtpConnector? connector = null)
{
    public IQueueStore Store { get; } = store;
    public MailRouteResolver Routes { get; } = routes;
    public DomainPolicyResolver Policies { get; } = policies;
    public BounceClassifier Classifier { get; } = classifier;
    public IAccountingSink Accounting { get; } = accounting;
    public DeliveryOptions Options { get; } = options;
    public ILoggerFactory LoggerFactory { get; } = loggerFactory;
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

    /// <summary>A recipient deferred this long since it was queued is due a delay notice (with <see cref="Messages"/> set).</summary>
    public TimeSpan DelayNoticeAfter { get; internal set; } = TimeSpan.FromHours(4);

    /// <summary>How many domains deliver and how many wait for their turn (see <see cref="DomainWakeScheduler"/>).</summary>
    public ActiveDomainSlots ActiveDomainSlots { get; } = new();

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, ThrottleGroup> _throttleGroups = new(StringComparer.Ordinal);

    /// <summary>
    /// The throttle and backoff state a domain works under. Domains under an MX-pattern policy share
    /// their group's (PowerMTA's MX rollup: gmail.com and googlemail.com count against Google's limits
    /// together); every other domain has its own, which goes away with its entity.
    /// </summary>
    public ThrottleGroup ThrottleGroupFor(DomainPolicyMatch match)
    {
        if (match.Kind != PolicyMatchKind.MxPattern) return new ThrottleGroup(match.Policy, Time);
        return _throttleGroups.GetOrAdd(match.ThrottleKey, _ => new ThrottleGroup(match.Policy, Time));
    }
}

/// <summary>Rate and connection limits with their backoff state, for one domain or one MX rollup group.</summary>
public sealed class ThrottleGroup(DomainPolicy policy, TimeProvider time)
{
    public Throttling.DomainThrottle Throttle { get; } = new(policy.ThrottleLimits, time);
    public Throttling.BackoffState Backoff { get; } = new(policy.Backoff, policy.ThrottleLimits, time);
}
