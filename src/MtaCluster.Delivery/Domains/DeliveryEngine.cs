using Microsoft.Extensions.Logging;
using MtaCluster.Actors;
using MtaCluster.Actors.Sharding;
using MtaCluster.Storage;

namespace MtaCluster.Delivery.Domains;

/// <summary>
/// Starts the node's delivery: the shard region of domain entities and the wake scheduler. At
/// start it reads which domains of the node's shards have pending work (a restart or a handoff
/// leaves some) and schedules each at its earliest due time.
/// </summary>
public sealed class DeliveryEngine
{
    public const string DomainTypeName = "domain";

    private readonly ActorSystem _system;
    private readonly DeliveryContext _context;
    private readonly int _maxShards;
    private readonly ILogger _logger;

    public DeliveryEngine(ActorSystem system, DeliveryContext context, int maxShards, TimeSpan passivateIdleEntityAfter)
    {
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
        scheduler = system.ActorOf(Props.Create(() => new DomainWakeScheduler(Domains, context.Time)), "domain-wake-scheduler");
        Scheduler = scheduler;
    }

    /// <summary>The shard region of <see cref="DomainEntity"/>; tell it any <see cref="IDomainMessage"/>.</summary>
    public IActorRef Domains { get; }

    public IActorRef Scheduler { get; }

    public DeliveryContext Context => _context;

    /// <summary>Schedules every domain of the given shards that has pending recipients.</summary>
    public async Task<int> RecoverAsync(IEnumerable<int> shards, CancellationToken cancellationToken)
    {
        if (_context.Options.Hold)
        {
            _logger.LogWarning("delivery is on hold (Delivery:Hold): mail is accepted and spooled, nothing is sent");
            return 0;
        }
        var domains = 0;
        foreach (var shard in shards)
        {
            foreach (var work in await _context.Store.GetPendingDomainsAsync(shard, cancellationToken).ConfigureAwait(false))
            {
                Scheduler.Tell(new ScheduleWake(work.Domain, work.NextAttemptAt));
                domains++;
            }
        }
        if (domains > 0) _logger.LogInformation("{Domains} domains have queued mail", domains);
        return domains;
    }

    public Task<int> RecoverAllAsync(CancellationToken cancellationToken) => RecoverAsync(Enumerable.Range(0, _maxShards), cancellationToken);

    /// <summary>Wakes the entities of domains that just received durable mail.</summary>
    public void OnNewWork(IEnumerable<string> domains)
    {
        if (_context.Options.Hold) return;
        foreach (var domain in domains) Domains.Tell(new WakeDomain(domain));
    }
}
