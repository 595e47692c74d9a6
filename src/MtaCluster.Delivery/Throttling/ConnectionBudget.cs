namespace MtaCluster.Delivery.Throttling;

/// <summary>
/// The node's outbound connections, shared by every domain on top of each domain's own limit
/// (Postfix's <c>default_process_limit</c> over all transports). A domain that finds no slot joins a
/// FIFO queue and is woken once, when a slot is set aside for it, so waiting domains are served in
/// the order they asked and nobody polls.
/// </summary>
/// <remarks>
/// A local resource error (out of descriptors, buffers or ephemeral ports) halves the limit and
/// stops new connections for a cool-down that doubles while the errors go on: the node, not the
/// receiver, is short, and trying again at once would only repeat the error. Without errors the
/// limit grows back a step per <see cref="RecoveryInterval"/>.
/// </remarks>
public sealed class ConnectionBudget
{
    /// <summary>First pause after a local resource error; it doubles with each further error, up to <see cref="MaxCoolDown"/>.</summary>
    public static readonly TimeSpan FirstCoolDown = TimeSpan.FromMilliseconds(200);

    public static readonly TimeSpan MaxCoolDown = TimeSpan.FromSeconds(10);

    /// <summary>How often the limit steps back up (by an eighth of the capacity) after the last error.</summary>
    public static readonly TimeSpan RecoveryInterval = TimeSpan.FromSeconds(2);

    private readonly TimeProvider _time;
    private readonly object _gate = new();
    private readonly LinkedList<Waiter> _queue = new();
    // Woken with a slot set aside for them, not yet taken: counted against the limit so a newcomer cannot take it first.
    private readonly HashSet<Waiter> _reserved = new();
    private readonly ITimer _timer;
    private int _inUse;
    private int _limit;
    private DateTimeOffset _coolDownUntil = DateTimeOffset.MinValue;
    private TimeSpan _nextCoolDown = FirstCoolDown;
    private DateTimeOffset _lastChange;
    private long _shortages;

    public ConnectionBudget(int capacity, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
        _limit = capacity;
        _time = time ?? TimeProvider.System;
        _lastChange = _time.GetUtcNow();
        _timer = _time.CreateTimer(_ => Dispatch(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The most connections the node opens: <c>Delivery:MaxConnections</c>, bounded by the descriptor limit.</summary>
    public int Capacity { get; }

    /// <summary>The connections allowed now: <see cref="Capacity"/>, or less after local resource errors.</summary>
    public int Limit
    {
        get { lock (_gate) { RecoverLocked(_time.GetUtcNow()); return _limit; } }
    }

    public int InUse
    {
        get { lock (_gate) return _inUse; }
    }

    public int Waiting
    {
        get { lock (_gate) return _queue.Count; }
    }

    /// <summary>Local resource errors seen since start.</summary>
    public long Shortages => Interlocked.Read(ref _shortages);

    /// <summary>A domain's place in the queue; one per domain entity incarnation.</summary>
    public sealed class Waiter(Action wake)
    {
        internal LinkedListNode<Waiter>? Node;

        internal void Wake() => wake();
    }

    /// <summary>
    /// Takes a slot, or queues <paramref name="waiter"/> (once) to be woken when one is set aside for it.
    /// Each success must be paired with one <see cref="Release"/>.
    /// </summary>
    public bool TryAcquire(Waiter waiter)
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            RecoverLocked(now);
            var coolingDown = now < _coolDownUntil;
            if (_reserved.Remove(waiter))
            {
                if (!coolingDown && _inUse + _reserved.Count < _limit)
                {
                    _inUse++;
                    return true;
                }

                // Its slot was set aside, but a cool-down or a smaller limit came first: it keeps its turn.
                waiter.Node = _queue.AddFirst(waiter);
            }
            else if (!coolingDown && _inUse + _reserved.Count < _limit && (_queue.First is null || _queue.First == waiter.Node))
            {
                // Nobody waits, or only this domain, first in line.
                if (waiter.Node is not null)
                {
                    _queue.Remove(waiter.Node);
                    waiter.Node = null;
                }

                _inUse++;
                return true;
            }

            waiter.Node ??= _queue.AddLast(waiter);
            ArmLocked(now);
            return false;
        }
    }

    /// <summary>The waiter wants no slot now (its work is gone, it stopped): leave the queue, pass on a slot set aside for it.</summary>
    public void Withdraw(Waiter waiter)
    {
        bool freed;
        lock (_gate)
        {
            if (waiter.Node is not null)
            {
                _queue.Remove(waiter.Node);
                waiter.Node = null;
            }

            freed = _reserved.Remove(waiter);
        }

        if (freed) Dispatch();
    }

    public void Release()
    {
        lock (_gate)
        {
            if (_inUse == 0) throw new InvalidOperationException("Release called with no connection held.");
            _inUse--;
        }

        Dispatch();
    }

    /// <summary>A connection could not be opened for want of a local resource: shrink, and pause new connections.</summary>
    public void OnLocalResourceShortage()
    {
        Interlocked.Increment(ref _shortages);
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            RecoverLocked(now);
            // What was open when the error came is what the machine could hold; half leaves room for the rest of the node.
            _limit = Math.Max(1, Math.Min(_limit, _inUse) / 2);
            _coolDownUntil = now + _nextCoolDown;
            _nextCoolDown = _nextCoolDown * 2 > MaxCoolDown ? MaxCoolDown : _nextCoolDown * 2;
            _lastChange = now;
            ArmLocked(now);
        }
    }

    /// <summary>A connection was opened: the shortage, if there was one, is over for now.</summary>
    public void OnConnected()
    {
        lock (_gate) _nextCoolDown = FirstCoolDown;
    }

    private void Dispatch()
    {
        List<Waiter>? wake = null;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            RecoverLocked(now);
            if (now >= _coolDownUntil)
            {
                while (_queue.First is { } first && _inUse + _reserved.Count < _limit)
                {
                    _queue.RemoveFirst();
                    first.Value.Node = null;
                    _reserved.Add(first.Value);
                    (wake ??= new()).Add(first.Value);
                }
            }

            ArmLocked(now);
        }

        // Outside the lock: a wake is a Tell to the domain's entity.
        if (wake is not null) foreach (var waiter in wake) waiter.Wake();
    }

    private void RecoverLocked(DateTimeOffset now)
    {
        if (_limit >= Capacity) return;
        var steps = (now - _lastChange).Ticks / RecoveryInterval.Ticks;
        if (steps <= 0) return;
        var step = Math.Max(1, Capacity / 8);
        _limit = (int)Math.Min(Capacity, _limit + steps * step);
        _lastChange += TimeSpan.FromTicks(RecoveryInterval.Ticks * steps);
    }

    /// <summary>With domains waiting, wake the queue when the cool-down ends, at once if there is room, or when the limit next grows.</summary>
    private void ArmLocked(DateTimeOffset now)
    {
        if (_queue.Count == 0) return;
        DateTimeOffset at;
        if (now < _coolDownUntil) at = _coolDownUntil;
        // Room that no release will announce: the limit grew back, or a slot set aside was refused.
        else if (_inUse + _reserved.Count < _limit) at = now;
        else if (_limit < Capacity) at = _lastChange + RecoveryInterval;
        else return;
        _timer.Change(at - now > TimeSpan.Zero ? at - now : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// <paramref name="configured"/>, but at most half the process's descriptor limit: the other half
    /// is for inbound sessions, listeners, the spool and DNS sockets.
    /// </summary>
    public static int CapacityFor(int configured, long? descriptorLimit)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(configured);
        if (descriptorLimit is not { } limit || limit <= 0) return configured;
        return (int)Math.Max(1, Math.Min(configured, limit / 2));
    }
}
