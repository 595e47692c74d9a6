using System.Diagnostics;
using Microsoft.Extensions.Logging;
using MtaCluster.Actors;
using MtaCluster.Actors.Sharding;
using MtaCluster.Delivery.Lifecycle;
using MtaCluster.Storage;

namespace MtaCluster.Delivery.Domains;

/// <summary>
/// Starts the node's delivery: the shard region of domain entities and the wake scheduler. After
/// a restart or a handoff it walks the spool's domains page by page and hands those with pending
/// work to the scheduler at their earliest due time; the scheduler wakes them as active-domain
/// slots allow.
/// </summary>
public sealed class DeliveryEngine
{
    public const string DomainTypeName = "domain";
    public const string MessageTypeName = "message";

    /// <summary>Domains read from the spool per query while recovering: a few milliseconds of work each.</summary>
    public const int RecoveryPageSize = 1000;

    private readonly ActorSystem _system;
    private readonly DeliveryContext _context;
    private readonly int _maxShards;
    private readonly ILogger _logger;

    private readonly MessageLifecycleContext? _lifecycle;
    private IActorRef? _sweeper;
    private readonly Lock _sweeperLock = new();

    private readonly IShardOwnership? _ownership;
    private readonly DomainShardExtractor _domainShards;

    /// <param name="lifecycle">What message entities need (DSNs, removal); null runs delivery without them, and finished mail stays in the spool.</param>
    /// <param name="ownership">Which shards this node owns (a cluster); null: all of them.</param>
    /// <param name="forwarder">Where messages for entities of shards owned elsewhere go (a cluster's wake-up bus).</param>
    /// <param name="placement">The shard of each domain; null places every domain by its own name.</param>
    public DeliveryEngine(ActorSystem system, DeliveryContext context, int maxShards, TimeSpan passivateIdleEntityAfter, MessageLifecycleContext? lifecycle = null,
        IShardOwnership? ownership = null, IShardForwarder? forwarder = null, DomainPlacement? placement = null)
    {
        Placement = placement ?? DomainPlacement.ByName(maxShards);
        if (Placement.MaxShards != maxShards) throw new ArgumentException($"The placement is for {Placement.MaxShards} shards, the engine for {maxShards}.", nameof(placement));
        _ownership = ownership;
        _lifecycle = lifecycle;
        _system = system;
        _context = context;
        _maxShards = maxShards;
        _logger = context.LoggerFactory.CreateLogger<DeliveryEngine>();
        // The entity id is the domain; its shard is the domain's placement (a listed domain's group key).
        var extractor = new DomainShardExtractor(Placement);
        _domainShards = extractor;
        IActorRef? scheduler = null;
        Domains = system.StartShardRegion(
            DomainTypeName,
            domain => Props.Create(() => new DomainEntity(domain, context, scheduler!)),
            extractor,
            new ShardingSettings { PassivateIdleEntityAfter = passivateIdleEntityAfter },
            ownership,
            forwarder);
        Func<string, bool>? isLocal = ownership is null ? null : IsLocalDomain;
        context.IsLocalDomain = isLocal;
        context.Placement = Placement;
        scheduler = system.ActorOf(Props.Create(() => new DomainWakeScheduler(Domains, context.Time, context.Options.MaxActiveDomains, context.ActiveDomainSlots, isLocal)),
            "domain-wake-scheduler");
        Scheduler = scheduler;
        if (lifecycle is not null)
        {
            Messages = system.StartShardRegion(
                MessageTypeName,
                messageId => Props.Create(() => new MessageEntity(messageId, lifecycle)),
                HashCodeMessageExtractor.Create(maxShards, m => (m as IMessageEntityMessage)?.MessageId),
                new ShardingSettings { PassivateIdleEntityAfter = passivateIdleEntityAfter },
                ownership,
                forwarder);
            context.Messages = Messages;
            context.DelayNoticeAfter = lifecycle.Options.DelayNoticeAfter;
        }
    }

    /// <summary>Where each domain's entity and recipient rows live, fixed at start.</summary>
    public DomainPlacement Placement { get; }

    /// <summary>The shard region of <see cref="MessageEntity"/>, or null without a lifecycle.</summary>
    public IActorRef? Messages { get; }

    /// <summary>The sweeper of complete and retained messages, once <see cref="RecoverAsync"/> has started it.</summary>
    public IActorRef? Sweeper => _sweeper;

    /// <summary>The shard region of <see cref="DomainEntity"/>; tell it any <see cref="IDomainMessage"/>.</summary>
    public IActorRef Domains { get; }

    public IActorRef Scheduler { get; }

    public DeliveryContext Context => _context;

    /// <summary>
    /// Schedules every domain of the shards <paramref name="ownsShard"/> accepts that has pending
    /// recipients. It reads the spool <see cref="RecoveryPageSize"/> domains at a time and schedules
    /// each page before reading the next, so delivery starts with the first page, memory holds one
    /// page, and nothing of it grows with the number of queued recipients.
    /// </summary>
    public async Task<int> RecoverAsync(Func<int, bool> ownsShard, CancellationToken cancellationToken)
    {
        // First: messages a crash left complete but unfinished get their DSN even while delivery is on hold.
        EnsureSweeper(ownsShard);
        if (_context.Options.Hold)
        {
            _logger.LogWarning("delivery is on hold (Delivery:Hold): mail is accepted and spooled, nothing is sent");
            return 0;
        }
        var clock = Stopwatch.StartNew();
        var domains = 0;
        string? after = null;
        do
        {
            var page = await _context.Store.GetPendingDomainsAsync(after, RecoveryPageSize, cancellationToken).ConfigureAwait(false);
            foreach (var work in page.Domains)
            {
                if (!ownsShard(work.Shard)) continue;
                Scheduler.Tell(new ScheduleWake(work.Domain, work.NextAttemptAt));
                domains++;
            }
            after = page.Next;
        } while (after is not null);
        _logger.LogInformation("recovery finished: {Domains} domains have queued mail ({Elapsed:F0} ms)", domains, clock.Elapsed.TotalMilliseconds);
        return domains;
    }

    /// <summary>
    /// Starts the sweeper of complete and retained messages of the shards <paramref name="ownsShard"/>
    /// accepts, unless it runs already. A reload that lifts a hold recovers again, possibly while the
    /// start-up recovery still runs: one sweeper only, and the first caller's view of ownership is its view.
    /// </summary>
    /// <param name="ownedShards">The shards owned now, for a sweep that reads only theirs (a cluster).</param>
    public void EnsureSweeper(Func<int, bool> ownsShard, Func<IReadOnlyCollection<int>>? ownedShards = null)
    {
        lock (_sweeperLock)
        {
            if (_lifecycle is not null && Messages is not null && _sweeper is null)
                _sweeper = _system.ActorOf(Props.Create(() => new MessageSweeper(Messages, _lifecycle, ownsShard, ownedShards)), "message-sweeper");
        }
    }

    /// <summary>Whether this node owns the shard of <paramref name="domain"/>'s entity (always, without a cluster).</summary>
    public bool IsLocalDomain(string domain) =>
        _ownership is null || _ownership.IsLocal(DomainTypeName, _domainShards.ShardId(domain, domain));

    /// <summary>
    /// Stops every entity of <paramref name="shard"/> on this node, domain and message entities alike,
    /// and returns once all have stopped: their in-flight transactions finished and their outcomes
    /// committed (or failed against a lost lease). Messages for them meanwhile wait in the regions
    /// until <see cref="ShardHome"/>. The scheduler forgets the shard's domains.
    /// </summary>
    public async Task HandOffShardAsync(int shard, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var id = shard.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var regions = Messages is null ? new[] { Domains } : [Domains, Messages];
        await Task.WhenAll(regions.Select(region => region.Ask<ShardStopped>(new HandOff(id), timeout, cancellationToken))).ConfigureAwait(false);
        Scheduler.Tell(new ForgetDomains(domain => Placement.ShardOf(domain) == shard));
    }

    /// <summary>The shard's owner is settled (this node took it, or another one will): what the regions held back for it goes there now.</summary>
    public void ShardHome(int shard)
    {
        var id = shard.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Domains.Tell(new ShardHome(id));
        Messages?.Tell(new ShardHome(id));
    }

    /// <summary>Sweep for complete messages now (a wake-up from the store said one of this node's shards has one).</summary>
    public void SweepNow() => _sweeper?.Tell(MessageSweeper.Sweep.Instance);

    public Task<int> RecoverAllAsync(CancellationToken cancellationToken) => RecoverAsync(shard => shard >= 0 && shard < _maxShards, cancellationToken);

    /// <summary>Wakes the entities of domains that just received durable mail, as active-domain slots allow.</summary>
    public void OnNewWork(IEnumerable<string> domains)
    {
        if (_context.Options.Hold) return;
        foreach (var domain in domains) Scheduler.Tell(new WakeForNewWork(domain));
    }

    /// <summary>
    /// An operator's change to the domain is in the store (suspended, resumed, flushed, purged): tell its entity,
    /// here or, through the region's forwarder, on the node that owns it. Even on hold (nothing is sent
    /// then), so the entity's view of the suspension stays the store's.
    /// </summary>
    public void OnControlChanged(string domain, DomainControlChange change) => Domains.Tell(new DomainControlChanged(domain, change));

    /// <summary>Routes a domain message to the shard of the domain's placement.</summary>
    private sealed class DomainShardExtractor(DomainPlacement placement) : HashCodeMessageExtractor(placement.MaxShards)
    {
        private readonly string?[] _shardIds = new string?[placement.MaxShards];

        public override string? EntityId(object message) => (message as IDomainMessage)?.Domain;

        public override string ShardId(string entityId, object message)
        {
            var shard = placement.ShardOf(entityId);
            // Cached so routing a message allocates no shard-id string; a race only builds an equal string twice.
            return _shardIds[shard] ??= shard.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}
