using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using MtaCluster.Actors;
using MtaCluster.Delivery.Classification;
using MtaCluster.Delivery.Policies;
using MtaCluster.Delivery.Retries;
using MtaCluster.Delivery.Throttling;
using MtaCluster.Mail;
using MtaCluster.Storage;

namespace MtaCluster.Delivery.Domains;

/// <summary>
/// Everything about delivering to one destination domain: it pulls the domain's due recipients
/// from the spool, pays for each transaction with the policy's rate tokens, keeps up to the
/// policy's connections open (fewer in backoff), and hears each settled transaction back from its
/// workers. It wakes on new work and on its next due time, told by the <see cref="DomainWakeScheduler"/>;
/// it never polls the spool while idle.
/// </summary>
public sealed partial class DomainEntity : ActorBase
{
    private const string PumpTimer = "pump";
    private const string KeepAliveTimer = "keep-alive";

    // Idle passivation watches only this actor's mailbox. Workers, a backoff pause or a suspension
    // are state that must not be dropped by it, so while any is present a tick keeps the entity busy.
    private static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan SharedSlotRecheck = TimeSpan.FromMilliseconds(250);

    // After the spool failed to record outcomes or to be read, how long the domain waits before sending again.
    private TimeSpan StoreFailureHoldOff => _context.Options.StoreFailureHoldOff;

    private readonly string _domain;
    private readonly DeliveryContext _context;
    private readonly IActorRef _scheduler;
    private readonly ILogger _logger;
    // Chosen by the scheduler (or handed back by connections that did not start it), waiting for a rate token.
    private readonly Queue<WorkItem> _backlog = new();
    // Paid for, waiting for a connection to take them.
    private Channel<WorkItem> _ready = NewReadyChannel();
    // Every recipient fetched and not yet settled, so a fetch never hands out the same one twice, with its queue.
    private readonly Dictionary<long, LaneQueueKey> _inFlight = new();
    private readonly Dictionary<int, (DeliveryWorker Worker, Task Task)> _workers = new();
    // The domains.yaml this entity works under, and what it resolved from it; see FollowReloadedPolicy.
    private DomainPolicySnapshot _policies = null!;
    private DomainPolicyMatch _match = null!;
    private ThrottleGroup? _group;
    private DomainThrottle _throttle = null!;
    private BackoffState _backoff = null!;
    private RetrySchedule _retries = null!;
    private MailRoute? _route;
    private bool _suspended;
    private DateTimeOffset? _suspendedUntil;
    private bool _suspensionRead;
    private DateTimeOffset _suspensionReadAt;
    // This entity told the scheduler its active-domain slot is free, and has not been woken since.
    private bool _idleReported;
    // A connection to the domain failed: start no further ones until another connection has shown
    // that the hosts take connections (it delivered, or merely got through and ended), or every worker
    // has stopped. Either way it is cleared when the last worker stops, so it never outlives them.
    private bool _connectFailing;
    // Queued for a slot of the node's connection budget, which wakes this entity when one is set aside for it.
    private ConnectionBudget.Waiter _budgetWaiter = null!;
    private bool _waitingForSlot;
    private DateTimeOffset? _holdUntil;
    // Process-wide, so a worker left over from an earlier incarnation can never share an id with a current one.
    private static int s_lastWorkerId;
    private DateTimeOffset _lastFetch = DateTimeOffset.MinValue;
    private bool _mayHaveMore = true;
    private long _delivered, _deferred, _bounced;

    public DomainEntity(string domain, DeliveryContext context, IActorRef scheduler)
    {
        _domain = domain;
        _context = context;
        _scheduler = scheduler;
        _logger = context.LoggerFactory.CreateLogger<DomainEntity>();
    }

    protected override async ValueTask PreStartAsync()
    {
        _policies = _context.PolicyHolder.Current;
        ApplyPolicy(_policies.Resolver.Resolve(_domain));
        var self = Self;
        _budgetWaiter = new ConnectionBudget.Waiter(() => self.Tell(PumpTick.Instance));
        // A store error must not fail the start: an entity that never starts never runs PostStopAsync,
        // and its active-domain slot would be lost. The pump reads the suspension again before sending.
        await ReadSuspensionAsync().ConfigureAwait(false);
        // A restarted incarnation may have no new mail to prompt it: look for due work as soon as a slot allows.
        _scheduler.Tell(new WakeForNewWork(_domain));
    }

    /// <summary>
    /// An operator's suspension outlives restarts and passivation: it is in the store, written by
    /// whichever node the operator asked, so it is read again on that node's word
    /// (<see cref="DomainControlChanged"/>) and every <see cref="DeliveryOptions.SuspensionRecheckInterval"/>
    /// while delivering. False while it cannot be read.
    /// </summary>
    private async Task<bool> ReadSuspensionAsync()
    {
        if (_suspensionRead) return true;
        try
        {
            var suspension = await _context.Store.GetDomainSuspensionAsync(_domain).ConfigureAwait(false);
            var now = _context.Time.GetUtcNow();
            _suspensionRead = true;
            _suspensionReadAt = now;
            ApplySuspension(suspension is not null && suspension.IsInForce(now) ? suspension : null);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _logger.LogWarning(ex, "{Domain}: cannot read its suspension from the spool; trying again in {Delay}", _domain, StoreFailureHoldOff);
            return false;
        }
    }

    /// <summary>Puts the stored suspension (null: none in force) in force, saying so when that changes anything.</summary>
    private void ApplySuspension(DomainSuspension? suspension)
    {
        var was = _suspended;
        _suspended = suspension is not null;
        _suspendedUntil = suspension?.Until;
        if (suspension?.Until is { } until) ScheduleWake(until);
        if (_suspended && !was)
        {
            // Transactions under way finish; what connections were handed but have not started waits here.
            _waitingForSlot = false;
            ReturnReadyToBacklog();
            RetireWorkers(keep: 0);
            _logger.LogInformation("delivery to {Domain} suspended until {Until}: {Reason}", _domain, (object?)suspension!.Until ?? "resumed", suspension.Reason ?? "no reason given");
        }
        else if (!_suspended && was)
        {
            _logger.LogInformation("delivery to {Domain} resumed", _domain);
        }
    }

    /// <summary>
    /// The operator's change is in the store already: read it. A resumed or flushed domain asks the
    /// scheduler for a slot (the wake that follows pumps it); a suspended one lets its slot go.
    /// </summary>
    private async Task OnControlChangedAsync(DomainControlChanged control)
    {
        if (control.Change == DomainControlChange.Purge) DropUnstartedWork();
        if (control.Change == DomainControlChange.Flush)
        {
            // In an MX rollup group the pause is the group's: a flush of one of its domains ends it for all.
            _backoff.Reset();
            OnLimitsChanged();
            _holdUntil = null;
            _logger.LogInformation("{Domain} flushed: its queue is due now and any backoff is over", _domain);
        }
        _suspensionRead = false;
        await ReadSuspensionAsync().ConfigureAwait(false);
        if (_suspended)
        {
            ReportIdleIfQuiet();
            return;
        }
        MayHaveMore();
        _scheduler.Tell(new WakeForNewWork(_domain));
    }

    /// <summary>
    /// Forgets the recipients fetched but not handed to a connection yet: they are only a copy of the
    /// store's rows, so those still pending there are fetched again. Transactions under way finish.
    /// </summary>
    private void DropUnstartedWork()
    {
        ReturnReadyToBacklog();
        foreach (var item in _backlog.Concat(_sends.RemoveAll().Select(s => s.Item)))
        {
            foreach (var recipient in item.Recipients) ForgetInFlight(recipient.RecipientId);
        }
        _backlog.Clear();
        _queuesWithMore.Clear();
    }

    protected override async ValueTask OnReceiveAsync(object message)
    {
        switch (message)
        {
            case WakeDomain:
                _idleReported = false;
                MayHaveMore();
                await PumpAsync().ConfigureAwait(false);
                break;
            case PumpTick:
                await PumpAsync().ConfigureAwait(false);
                break;
            case TransactionSettled settled:
                OnSettled(settled);
                await PumpAsync().ConfigureAwait(false);
                break;
            case WorkerStopped stopped:
                await OnWorkerStoppedAsync(stopped).ConfigureAwait(false);
                await PumpAsync().ConfigureAwait(false);
                break;
            case DomainControlChanged control:
                await OnControlChangedAsync(control).ConfigureAwait(false);
                break;
            case SuspendDomain suspend:
                await _context.Store.SuspendDomainAsync(new DomainSuspension(_domain, _context.Time.GetUtcNow(), suspend.Until, suspend.Reason)).ConfigureAwait(false);
                _suspended = true;
                _suspendedUntil = suspend.Until;
                if (suspend.Until is { } until) ScheduleWake(until);
                _waitingForSlot = false;
                ReturnReadyToBacklog();
                RetireWorkers(keep: 0);
                _logger.LogInformation("delivery to {Domain} suspended until {Until}: {Reason}", _domain, (object?)suspend.Until ?? "resumed", suspend.Reason ?? "no reason given");
                ReportIdleIfQuiet();
                break;
            case ResumeDomain:
                await _context.Store.ResumeDomainAsync(_domain).ConfigureAwait(false);
                _suspended = false;
                _suspendedUntil = null;
                _logger.LogInformation("delivery to {Domain} resumed", _domain);
                _scheduler.Tell(new WakeForNewWork(_domain));
                break;
            case GetDomainStatus:
                FollowReloadedPolicy();
                Sender.Tell(new DomainStatus(_domain, _match.Policy.Key, _match.ThrottleKey, _suspended, _backoff.InBackoff,
                    _workers.Count, _backoff.EffectiveLimits.MaxConnections, _backlog.Count + _sends.Count + _ready.Reader.Count, _inFlight.Count,
                    _delivered, _deferred, _bounced), Self);
                break;
            default:
                Unhandled(message);
                break;
        }
        // A slot set aside for this entity that it did not take goes to the next domain in line.
        if (!_waitingForSlot) _context.Connections.Withdraw(_budgetWaiter);
        UpdateKeepAlive();
    }

    private void UpdateKeepAlive()
    {
        var hold = _workers.Count > 0 || _waitingForSlot || _suspended || _backoff.IsPaused || _holdUntil > _context.Time.GetUtcNow();
        if (hold && !Timers.IsTimerActive(KeepAliveTimer)) Timers.StartPeriodicTimer(KeepAliveTimer, PumpTick.Instance, KeepAliveInterval);
        else if (!hold && Timers.IsTimerActive(KeepAliveTimer)) Timers.Cancel(KeepAliveTimer);
    }

    private async Task PumpAsync()
    {
        _waitingForSlot = false;
        FollowReloadedPolicy();
        var now = _context.Time.GetUtcNow();
        if (_suspended && _suspendedUntil <= now)
        {
            _suspended = false;
            _suspendedUntil = null;
            _logger.LogInformation("delivery to {Domain} resumed: its suspension ended", _domain);
        }
        // Another node may have written a suspend or a resume whose wake-up never came.
        if (_suspensionRead && now - _suspensionReadAt >= _context.Options.SuspensionRecheckInterval) _suspensionRead = false;
        if (!await ReadSuspensionAsync().ConfigureAwait(false))
        {
            WaitWithoutSlot(now + StoreFailureHoldOff);
            return;
        }
        // A shard whose lease this node lost: its hand-off stops the entity soon; until then nothing more is sent.
        if (_suspended || _context.Options.Hold || !_context.OwnsDomain(_domain))
        {
            // What open connections were handed but have not started stays here until delivery
            // resumes; they close after the transaction under way.
            ReturnReadyToBacklog();
            ReportIdleIfQuiet();
            return;
        }
        // Read once: in an MX rollup group another domain's entity may end the pause at any moment.
        if (_backoff.ResumeAt is { } resume && resume > now)
        {
            WaitWithoutSlot(resume);
            return;
        }
        if (_holdUntil is { } hold && hold > now)
        {
            WaitWithoutSlot(hold);
            return;
        }

        await RefillAsync(now).ConfigureAwait(false);

        // The route decides the policy (an MX pattern may apply), so it is settled before any rate
        // token is spent. A route that cannot be resolved settles what was queued; the idle step
        // below still runs, so the domain wakes again at its next retry.
        if (_backlog.Count + _sends.Count + _ready.Reader.Count > 0 && await EnsureRouteAsync().ConfigureAwait(false))
        {
            // Rate tokens are taken per transaction here, so whatever reaches a connection is already
            // allowed. The scheduler chooses at the moment a token is there, so the lane and tenant
            // order holds however long the domain's throttle makes the queue.
            while (true)
            {
                if (_backlog.Count == 0)
                {
                    if (!_sends.TryNext(out var send)) break;
                    _backlog.Enqueue(send.Item);
                }
                if (!_throttle.TryTakeMessage()) break;
                _ready.Writer.TryWrite(_backlog.Dequeue());
            }
            if (_backlog.Count > 0) StartPumpTimer(_throttle.NextAvailableAt() - now);
            else if (_sends.NextAdmissionIn() is { } admission && admission > TimeSpan.Zero) StartPumpTimer(admission);

            var waiting = _ready.Reader.Count;
            while (!_connectFailing && _workers.Count < Math.Min(waiting, _backoff.EffectiveLimits.MaxConnections) && TryTakeConnection() is { } lease)
            {
                StartWorker(lease);
            }
            if (waiting > 0 && _workers.Count == 0 && !_waitingForSlot)
            {
                // No slot although this domain holds none: another domain of its MX rollup group has
                // them all, and will not tell us when one frees up, so look again shortly, meanwhile
                // leaving the active-domain slot to a domain that can send.
                WaitWithoutSlot(_throttle.NextConnectionAvailableAt() ?? now + SharedSlotRecheck);
            }
        }

        if (_inFlight.Count == 0)
        {
            // The store gives no work out while the domain is suspended: a suspension written elsewhere
            // whose word has not come yet. Read it now, or the due time below wakes this entity at once, again and again.
            if (_dueButNoneGiven)
            {
                _dueButNoneGiven = false;
                _suspensionRead = false;
                if (await ReadSuspensionAsync().ConfigureAwait(false) && _suspended)
                {
                    ReportIdleIfQuiet();
                    return;
                }
            }
            // Idle: leave the next due time with the scheduler, which outlives this entity's passivation.
            var due = await _context.Store.GetNextAttemptTimeAsync(_domain).ConfigureAwait(false);
            if (due is { } at) ScheduleWake(at);
            ReportIdleIfQuiet();
        }
    }

    /// <summary>
    /// Nothing can be sent before <paramref name="until"/> (a receiver's pause, a hold-off after a failed
    /// commit, a store that cannot be read). With no connection open, the scheduler wakes the domain
    /// then and its active-domain slot goes to a domain that can send meanwhile; connections still
    /// finishing report back through the pump, which looks again.
    /// </summary>
    private void WaitWithoutSlot(DateTimeOffset until)
    {
        ScheduleWake(until);
        if (_workers.Count > 0) StartPumpTimer(until - _context.Time.GetUtcNow());
        else ReportIdleIfQuiet();
    }

    /// <summary>Frees this domain's active-domain slot once it holds no connection and no fetch is pending.</summary>
    private void ReportIdleIfQuiet()
    {
        if (_workers.Count > 0 && _context.ActiveDomainSlots.Waiting > 0 && _ready.Reader.Count == 0)
        {
            // Idle connections are kept for reuse, but they hold this domain's slot: while other
            // domains wait for one, close them now (each worker QUITs once it sees no more work)
            // instead of after the idle timeout. Workers started later read a fresh queue.
            _ready.Writer.TryComplete();
            _ready = NewReadyChannel();
        }
        if (_idleReported || _workers.Count > 0 || Timers.IsTimerActive(PumpTimer)) return;
        _idleReported = true;
        _scheduler.Tell(new DomainIdle(_domain));
    }

    private async Task<bool> EnsureRouteAsync()
    {
        if (_route is { IsSuccess: true } && _workers.Count > 0) return true;
        _route = await _context.Routes.ResolveAsync(_domain, _match.Policy.Route, Context.StoppingToken).ConfigureAwait(false);
        if (!_route.IsSuccess)
        {
            await FailEverythingQueuedAsync(_route.Failure!, _route.IsPermanentFailure, local: true).ConfigureAwait(false);
            return false;
        }
        if (_match.Kind != PolicyMatchKind.Exact && _match.Policy.Route is null)
        {
            // The MX hosts may put the domain under a shared MX-pattern policy (e.g. every domain hosted by one provider).
            var withMx = _policies.Resolver.ResolveWithMx(_domain, _route.Hosts.Select(h => h.HostName));
            if (withMx.Policy.Key != _match.Policy.Key)
            {
                // Workers still running on the old group return their slots to it themselves.
                _logger.LogInformation("{Domain} follows policy {Policy} by its MX hosts", _domain, withMx.Policy.Key);
                ApplyPolicy(withMx);
                _context.WarnIfGroupLimitsPerNode(withMx, _logger);
            }
        }
        return true;
    }

    private void StartPumpTimer(TimeSpan delay)
    {
        if (!Timers.IsTimerActive(PumpTimer)) Timers.StartSingleTimer(PumpTimer, PumpTick.Instance, delay < TimeSpan.Zero ? TimeSpan.Zero : delay);
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset? b) => b is { } v && v > a ? v : a;

    private static DateTimeOffset? Max(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : Max(a.Value, b);

    private void ScheduleWake(DateTimeOffset at) => _scheduler.Tell(new ScheduleWake(_domain, at));

    protected override async ValueTask PostStopAsync()
    {
        // Passivation only happens once the entity has been idle, so its workers have left; on
        // shutdown the stopping token has already cancelled them. Either way, wait so that no worker
        // outlives its entity and a new incarnation cannot fetch what an old worker still holds.
        _ready.Writer.TryComplete();
        if (_budgetWaiter is not null) _context.Connections.Withdraw(_budgetWaiter);
        try
        {
            await Task.WhenAll(_workers.Values.Select(w => w.Task)).ConfigureAwait(false);
            if (_inFlight.Count > 0 || _mayHaveMore)
            {
                DateTimeOffset? due;
                try
                {
                    due = await _context.Store.GetNextAttemptTimeAsync(_domain).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Unknown: look again later rather than strand whatever is queued.
                    _logger.LogWarning(ex, "{Domain}: cannot read its next due time from the spool; waking it again in {Delay}", _domain, StoreFailureHoldOff);
                    due = _context.Time.GetUtcNow() + StoreFailureHoldOff;
                }
                // Never earlier than a pause the receiver asked for.
                if (due is { } at) ScheduleWake(Max(at, Max(_backoff.ResumeAt, _holdUntil)));
            }
        }
        finally
        {
            // Whatever failed above, the slot goes back, or the node would lose one per failure.
            _scheduler.Tell(new DomainIdle(_domain));
        }
    }
}
