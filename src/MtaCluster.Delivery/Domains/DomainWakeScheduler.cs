using MtaCluster.Actors;

namespace MtaCluster.Delivery.Domains;

/// <summary>Wake <see cref="Domain"/>'s entity at <see cref="At"/> (its earliest retry, or the end of a backoff pause).</summary>
public sealed record ScheduleWake(string Domain, DateTimeOffset At);

/// <summary>Work for <see cref="Domain"/> arrived (new mail, an operator's resume): wake it as soon as an active-domain slot allows.</summary>
public sealed record WakeForNewWork(string Domain);

/// <summary>The domain's entity holds no connection and has nothing it is about to send: its active-domain slot is free.</summary>
public sealed record DomainIdle(string Domain);

/// <summary>
/// This node no longer owns some domains (their shard was handed off or lost): forget their wakes
/// and slots. Their entities have stopped or are stopping; the new owner finds their work in the store.
/// </summary>
public sealed record ForgetDomains(Func<string, bool> NoLongerLocal);

/// <summary>
/// Holds the next due time of every domain with deferred work, so domain entities can be
/// passivated while they wait for a retry hours away: one timer here, set to the earliest time,
/// instead of a live entity per waiting domain.
/// </summary>
/// <remarks>
/// It also bounds how many domains deliver at once (<paramref name="maxActiveDomains"/>). A node
/// restarted on a large queue found every domain due at the same moment; waking them all started
/// tens of thousands of connections within seconds and ran the process out of file descriptors
/// and memory. A domain holds a slot from the wake this scheduler releases until its entity
/// reports <see cref="DomainIdle"/>. Domains that find no free slot wait: due ones in due-time
/// order, ones with new work in arrival order, and freed slots alternate between the two lines so
/// that fresh mail is never stuck behind an old backlog (nor the backlog behind a flood of new mail).
/// The count is kept from messages, so it can run briefly below the truth when an idle report
/// crosses a new wake; it never runs above the cap by more than such crossings.
/// </remarks>
/// <param name="isLocal">
/// Whether this node owns the domain's shard now (a cluster); null: every domain is local. A domain
/// owned elsewhere is never woken from here: it would hold a slot that no idle report ever frees,
/// and its owner learns of its work from the store.
/// </param>
public sealed class DomainWakeScheduler(IActorRef domains, TimeProvider time, int maxActiveDomains = DomainWakeScheduler.DefaultMaxActiveDomains,
    ActiveDomainSlots? slots = null, Func<string, bool>? isLocal = null) : ActorBase
{
    public const int DefaultMaxActiveDomains = 2000;

    private const string TickTimer = "tick";

    private sealed record Tick
    {
        public static readonly Tick Instance = new();
    }

    private readonly int _maxActive = maxActiveDomains > 0 ? maxActiveDomains : throw new ArgumentOutOfRangeException(nameof(maxActiveDomains));
    private readonly Dictionary<string, DateTimeOffset> _due = new(StringComparer.Ordinal);
    private readonly PriorityQueue<string, DateTimeOffset> _queue = new();
    private readonly HashSet<string> _active = new(StringComparer.Ordinal);
    // Every domain in one of the two lines below, so none waits twice.
    private readonly HashSet<string> _waiting = new(StringComparer.Ordinal);
    private readonly PriorityQueue<string, DateTimeOffset> _waitingDue = new();
    private readonly Queue<string> _waitingNew = new();
    private bool _newWorkNext;
    private DateTimeOffset? _armedFor;

    protected override ValueTask OnReceiveAsync(object message)
    {
        switch (message)
        {
            case ScheduleWake wake:
                // Only an earlier time matters: the entity is woken then and schedules again if need be.
                if (!_due.TryGetValue(wake.Domain, out var current) || wake.At < current)
                {
                    _due[wake.Domain] = wake.At;
                    _queue.Enqueue(wake.Domain, wake.At);
                }
                Arm();
                break;
            case WakeForNewWork work:
                Release(work.Domain, newWork: true, time.GetUtcNow());
                break;
            case DomainIdle idle:
                if (_active.Remove(idle.Domain)) ReleaseWaiting();
                break;
            case ForgetDomains forget:
                Forget(forget.NoLongerLocal);
                break;
            case Tick:
                _armedFor = null;
                var now = time.GetUtcNow();
                while (_queue.TryPeek(out var domain, out var at) && at <= now)
                {
                    _queue.Dequeue();
                    // Stale queue entries (superseded by an earlier time) are skipped.
                    if (_due.TryGetValue(domain, out var due) && due == at)
                    {
                        _due.Remove(domain);
                        Release(domain, newWork: false, at);
                    }
                }
                Arm();
                break;
            case GetScheduledWakes:
                Sender.Tell(new ScheduledWakes(_due.ToDictionary(), _active.ToArray(), _waiting.Count), Self);
                break;
            default:
                Unhandled(message);
                return default;
        }
        slots?.Publish(_active.Count, _waiting.Count);
        return default;
    }

    private void Release(string domain, bool newWork, DateTimeOffset due)
    {
        if (isLocal is not null && !isLocal(domain)) return;
        if (_active.Contains(domain))
        {
            domains.Tell(new WakeDomain(domain));
            return;
        }
        if (_active.Count < _maxActive)
        {
            Activate(domain);
            return;
        }
        if (!_waiting.Add(domain)) return;
        if (newWork) _waitingNew.Enqueue(domain);
        else _waitingDue.Enqueue(domain, due);
    }

    private void Forget(Func<string, bool> noLongerLocal)
    {
        foreach (var domain in _due.Keys.Where(noLongerLocal).ToList()) _due.Remove(domain);
        var freed = _active.RemoveWhere(domain => noLongerLocal(domain));
        if (_waiting.RemoveWhere(domain => noLongerLocal(domain)) > 0)
        {
            // Rebuilt without them; the lines are short-lived and this happens on a hand-off only.
            var due = _waitingDue.UnorderedItems.Where(item => !noLongerLocal(item.Element)).ToList();
            _waitingDue.Clear();
            foreach (var (domain, at) in due) _waitingDue.Enqueue(domain, at);
            var fresh = _waitingNew.Where(domain => !noLongerLocal(domain)).ToList();
            _waitingNew.Clear();
            foreach (var domain in fresh) _waitingNew.Enqueue(domain);
        }
        if (freed > 0) ReleaseWaiting();
    }

    private void ReleaseWaiting()
    {
        while (_active.Count < _maxActive && TryTakeWaiting(out var domain))
        {
            Activate(domain);
        }
    }

    private bool TryTakeWaiting(out string domain)
    {
        while (true)
        {
            var takeNew = _waitingNew.Count > 0 && (_newWorkNext || _waitingDue.Count == 0);
            if (takeNew) domain = _waitingNew.Dequeue();
            else if (!_waitingDue.TryDequeue(out domain!, out _)) return false;
            _newWorkNext = !takeNew;
            _waiting.Remove(domain);
            // Its shard may have moved away while it waited.
            if (isLocal is null || isLocal(domain)) return true;
        }
    }

    private void Activate(string domain)
    {
        _active.Add(domain);
        domains.Tell(new WakeDomain(domain));
    }

    private void Arm()
    {
        while (_queue.TryPeek(out var domain, out var at) && (!_due.TryGetValue(domain, out var due) || due != at)) _queue.Dequeue();
        if (!_queue.TryPeek(out _, out var earliest)) return;
        if (_armedFor is { } armed && armed <= earliest) return;
        _armedFor = earliest;
        var delay = earliest - time.GetUtcNow();
        Timers.StartSingleTimer(TickTimer, Tick.Instance, delay < TimeSpan.Zero ? TimeSpan.Zero : delay);
    }
}

public sealed record GetScheduledWakes
{
    public static readonly GetScheduledWakes Instance = new();
}

/// <param name="Due">Domains waiting for a time, with that time.</param>
/// <param name="Active">Domains holding an active-domain slot.</param>
/// <param name="Waiting">Domains due (or with new work) that wait for a slot.</param>
public sealed record ScheduledWakes(IReadOnlyDictionary<string, DateTimeOffset> Due, IReadOnlyCollection<string> Active, int Waiting);
