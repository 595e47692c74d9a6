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

    /// <param name="lifecycle">What message entities need (DSNs, removal); null runs delivery without them, and finished mail stays in the spool.</param>
    public DeliveryEngine(ActorSystem system, DeliveryContext context, int maxShards, TimeSpan passivateIdleEntityAfter, MessageLifecycleContext? lifecycle = null)
    {
        _lifecycle = lifecycle;
        _system = system;
        _context = context;
        _maxShards = maxShards;
        _logger = context.LoggerFactory.CreateLogger<DeliveryEngine>();
        var extractor = HashCodeMessageExtractor.Create(maxShards, m => (m as IDomainMessage)?.Domain);
        IActorRef? scheduler = null;
        Domains = system.StartShardRegion(
            DomainTypeName,
            domain => Props.Create(() => new DomainEntity(domain, context, scheduler!)),
            extractor,
            new ShardingSettings { PassivateIdleEntityAfter = passivateIdleEntityAfter });
        scheduler = system.ActorOf(Props.Create(() => new DomainWakeScheduler(Domains, context.Time, context.Options.MaxActiveDomains, context.ActiveDomainSlots)), "domain-wake-scheduler");
        Scheduler = scheduler;
        if (lifecycle is not null)
        {
            Messages = system.StartShardRegion(
                MessageTypeName,
                messageId => Props.Create(() => new MessageEntity(messageId, lifecycle)),
                HashCodeMessageExtractor.Create(maxShards, m => (m as IMessageEntityMessage)?.MessageId),
                new ShardingSettings { PassivateIdleEntityAfter = passivateIdleEntityAfter });
            context.Messages = Messages;
            context.DelayNoticeAfter = lifecycle.Options.DelayNoticeAfter;
        }
    }

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
        // A reload that lifts a hold recovers again, possibly while the start-up recovery still runs: one sweeper only.
        lock (_sweeperLock)
        {
            if (_lifecycle is not null && Messages is not null && _sweeper is null)
                _sweeper = _system.ActorOf(Props.Create(() => new MessageSweeper(Messages, _lifecycle, ownsShard)), "message-sweeper");
        }
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

    public Task<int> RecoverAllAsync(CancellationToken cancellationToken) => RecoverAsync(shard => shard >= 0 && shard < _maxShards, cancellationToken);

    /// <summary>Wakes the entities of domains that just received durable mail, as active-domain slots allow.</summary>
    public void OnNewWork(IEnumerable<string> domains)
    {
        if (_context.Options.Hold) return;
        foreach (var domain in domains) Scheduler.Tell(new WakeForNewWork(domain));
    }
}
