using MtaCluster.Actors;

namespace MtaCluster.Delivery.Domains;

/// <summary>Wake <see cref="Domain"/>'s entity at <see cref="At"/> (its earliest retry, or the end of a backoff pause).</summary>
public sealed record ScheduleWake(string Domain, DateTimeOffset At);

/// <summary>
/// Holds the next due time of every domain with deferred work, so domain entities can be
/// passivated while they wait for a retry hours away: one timer here, set to the earliest time,
/// instead of a live entity per waiting domain.
/// </summary>
public sealed class DomainWakeScheduler(IActorRef domains, TimeProvider time) : ActorBase
{
    private const string TickTimer = "tick";

    private sealed record Tick
    {
        public static readonly Tick Instance = new();
    }

    private readonly Dictionary<string, DateTimeOffset> _due = new(StringComparer.Ordinal);
    private readonly PriorityQueue<string, DateTimeOffset> _queue = new();
    private DateTimeOffset? _armedFor;

    public int Count => _due.Count;

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
                        domains.Tell(new WakeDomain(domain));
                    }
                }
                Arm();
                break;
            case GetScheduledWakes:
                Sender.Tell(new ScheduledWakes(_due.ToDictionary()), Self);
                break;
            default:
                Unhandled(message);
                break;
        }
        return default;
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

public sealed record ScheduledWakes(IReadOnlyDictionary<string, DateTimeOffset> Due);
