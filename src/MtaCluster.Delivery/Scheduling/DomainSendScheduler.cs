using MtaCluster.Mail;

namespace MtaCluster.Delivery.Scheduling;

/// <summary>
/// The order one destination sends its due work in, over two lanes and any number of tenants.
/// <list type="bullet">
/// <item>Lanes: transactional first; while both lanes have work, bulk is owed
/// <c>bulkFloor</c> of the sends, paid by a credit counter in millionths (floor 0.10: exactly one
/// send in ten is bulk however long transactional mail keeps coming).</item>
/// <item>Within a lane, tenants take turns by deficit round robin (Shreedhar and Varghese, 1995)
/// with a quantum of their weight in messages: weights 3:1 send AAAB AAAB. A tenant with work
/// joins at the end of the current round, so ten messages queued behind a million are sent within
/// one round, not after the million.</item>
/// <item>A tenant over its rate limit leaves the round until its bucket refills, parked in a heap
/// by the time it may send again, so it costs the others nothing.</item>
/// </list>
/// One decision is O(1) plus O(log tenants) to wake a parked tenant, and allocates nothing once
/// the queues have grown. Not thread-safe: its owner (a domain entity) serialises calls.
/// </summary>
/// <typeparam name="T">What is scheduled: a recipient, a message's batch, whatever the owner sends as one.</typeparam>
public sealed class DomainSendScheduler<T>
{
    private const long CreditUnit = 1_000_000;

    private readonly TimeProvider _time;
    private readonly long _floorCredit;
    private readonly List<Slot> _slots = [];
    private readonly Dictionary<string, int> _slotByName = new(StringComparer.Ordinal);
    private readonly int[] _current = [-1, -1];
    private readonly PriorityQueue<(int Slot, int Lane), long> _parked = new();
    private long _bulkCredit;
    private int _count;

    /// <param name="bulkFloor">Share of sends bulk keeps while both lanes wait, from 0 to 0.5.</param>
    public DomainSendScheduler(double bulkFloor, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bulkFloor);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bulkFloor, 0.5);
        _floorCredit = (long)Math.Round(bulkFloor * CreditUnit);
        _time = time;
    }

    /// <summary>Work queued in both lanes, parked tenants' included.</summary>
    public int Count => _count;

    /// <summary>
    /// Adds a tenant, or returns the one of that name. <paramref name="domainLimit"/> is this
    /// destination's limit for the tenant (domains.yaml), owned by this scheduler;
    /// <paramref name="tenantLimit"/> its own limit over every destination.
    /// </summary>
    public int AddTenant(string name, int weight, TenantRateLimiter? domainLimit = null, SharedTokenBucket? tenantLimit = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(weight, 1);
        if (_slotByName.TryGetValue(name, out var existing)) return existing;
        var slot = new Slot(name, weight, domainLimit, tenantLimit);
        _slots.Add(slot);
        _slotByName.Add(name, _slots.Count - 1);
        return _slots.Count - 1;
    }

    public bool TryGetTenant(string name, out int tenant) => _slotByName.TryGetValue(name, out tenant);

    public string TenantName(int tenant) => _slots[tenant].Name;

    /// <summary>A new weight takes effect from the tenant's next turn.</summary>
    public void SetWeight(int tenant, int weight)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(weight, 1);
        _slots[tenant].Weight = weight;
    }

    public int Queued(DeliveryLane lane, int tenant) => _slots[tenant].Lanes[Index(lane)].Queue.Count;

    public void Enqueue(DeliveryLane lane, int tenant, T item)
    {
        var l = Index(lane);
        var state = _slots[tenant].Lanes[l];
        state.Queue.Enqueue(item);
        _count++;
        if (!state.InRound && !state.Parked) Join(l, tenant);
    }

    /// <summary>The next send, or false when nothing queued may be sent now (see <see cref="NextAdmissionIn"/>).</summary>
    public bool TryNext(out ScheduledSend<T> send)
    {
        var now = _time.GetUtcNow();
        WakeParked(now);
        var transactionalWaits = _current[Index(DeliveryLane.Transactional)] >= 0;
        var bulkWaits = _current[Index(DeliveryLane.Bulk)] >= 0;
        if (!transactionalWaits && !bulkWaits)
        {
            send = default;
            return false;
        }

        var bothWait = transactionalWaits && bulkWaits;
        if (bothWait) _bulkCredit = Math.Min(_bulkCredit + _floorCredit, CreditUnit);
        var first = !transactionalWaits || (bothWait && _bulkCredit >= CreditUnit) ? DeliveryLane.Bulk : DeliveryLane.Transactional;
        if (TryTake(first, now, out send))
        {
            if (bothWait && first == DeliveryLane.Bulk) _bulkCredit -= CreditUnit;
            return true;
        }
        // Every tenant of the preferred lane turned out to be over its limit; the credit it is owed stays.
        var second = first == DeliveryLane.Bulk ? DeliveryLane.Transactional : DeliveryLane.Bulk;
        return TryTake(second, now, out send);
    }

    /// <summary>
    /// How long until queued work may be sent: zero when some may now, the wait for the first parked
    /// tenant's bucket when all are over their limits, null when nothing is queued.
    /// </summary>
    public TimeSpan? NextAdmissionIn()
    {
        if (_count == 0) return null;
        if (_current[0] >= 0 || _current[1] >= 0) return TimeSpan.Zero;
        if (!_parked.TryPeek(out _, out var readyTicks)) return TimeSpan.Zero;
        var wait = readyTicks - _time.GetUtcNow().UtcTicks;
        return wait <= 0 ? TimeSpan.Zero : TimeSpan.FromTicks(wait);
    }

    /// <summary>
    /// Takes everything queued out, limits or not, in lane then tenant order and each queue in its
    /// own order (a domain that fails all its queued work at once, or moves it to a new scheduler).
    /// </summary>
    public List<ScheduledSend<T>> RemoveAll()
    {
        var all = new List<ScheduledSend<T>>(_count);
        foreach (var lane in (ReadOnlySpan<DeliveryLane>)[DeliveryLane.Transactional, DeliveryLane.Bulk])
        {
            var l = Index(lane);
            for (var tenant = 0; tenant < _slots.Count; tenant++)
            {
                var state = _slots[tenant].Lanes[l];
                while (state.Queue.TryDequeue(out var item)) all.Add(new ScheduledSend<T>(item, lane, tenant));
                state.InRound = false;
                state.Parked = false;
                state.Deficit = 0;
            }
            _current[l] = -1;
        }
        _parked.Clear();
        _count = 0;
        return all;
    }

    private bool TryTake(DeliveryLane lane, DateTimeOffset now, out ScheduledSend<T> send)
    {
        var l = Index(lane);
        while (_current[l] is var tenant and >= 0)
        {
            var slot = _slots[tenant];
            var state = slot.Lanes[l];
            // A turn starts with a quantum of the tenant's weight, in messages.
            if (state.Deficit == 0) state.Deficit = slot.Weight;
            if (!Admit(slot, now, out var readyAt))
            {
                Leave(l, tenant);
                state.Parked = true;
                _parked.Enqueue((tenant, l), readyAt);
                continue;
            }

            var item = state.Queue.Dequeue();
            _count--;
            state.Deficit--;
            if (state.Queue.Count == 0) Leave(l, tenant);
            else if (state.Deficit == 0) _current[l] = state.Next;
            send = new ScheduledSend<T>(item, lane, tenant);
            return true;
        }
        send = default;
        return false;
    }

    // Both limits in one step (TenantRateLimiter.TryTake), so a refusal by either never spends the
    // other's token, and domains sharing the limiters cannot both take the last one.
    private static bool Admit(Slot slot, DateTimeOffset now, out long readyAtTicks)
    {
        readyAtTicks = 0;
        var wait = TimeSpan.Zero;
        var admitted = slot.DomainLimit is { } domain
            ? domain.TryTake(now, slot.TenantLimit, out wait)
            : slot.TenantLimit is not { } shared || shared.TryTake(now, out wait);
        if (!admitted) readyAtTicks = ReadyAt(now, wait);
        return admitted;
    }

    private static long ReadyAt(DateTimeOffset now, TimeSpan wait) =>
        wait == TimeSpan.MaxValue ? long.MaxValue : now.UtcTicks + Math.Max(wait.Ticks, 1);

    private void WakeParked(DateTimeOffset now)
    {
        while (_parked.TryPeek(out var entry, out var readyTicks) && readyTicks <= now.UtcTicks)
        {
            _parked.Dequeue();
            var state = _slots[entry.Slot].Lanes[entry.Lane];
            state.Parked = false;
            if (state.Queue.Count > 0 && !state.InRound) Join(entry.Lane, entry.Slot);
        }
    }

    /// <summary>Into the round just before the tenant whose turn it is: last in the round under way.</summary>
    private void Join(int lane, int tenant)
    {
        var state = _slots[tenant].Lanes[lane];
        state.InRound = true;
        state.Deficit = 0;
        var current = _current[lane];
        if (current < 0)
        {
            state.Next = state.Previous = tenant;
            _current[lane] = tenant;
            return;
        }
        var currentState = _slots[current].Lanes[lane];
        var last = currentState.Previous;
        state.Previous = last;
        state.Next = current;
        _slots[last].Lanes[lane].Next = tenant;
        currentState.Previous = tenant;
    }

    private void Leave(int lane, int tenant)
    {
        var state = _slots[tenant].Lanes[lane];
        state.InRound = false;
        state.Deficit = 0;
        if (state.Next == tenant)
        {
            _current[lane] = -1;
            return;
        }
        _slots[state.Previous].Lanes[lane].Next = state.Next;
        _slots[state.Next].Lanes[lane].Previous = state.Previous;
        if (_current[lane] == tenant) _current[lane] = state.Next;
    }

    private static int Index(DeliveryLane lane) => lane == DeliveryLane.Transactional ? 0 : 1;

    private sealed class Slot(string name, int weight, TenantRateLimiter? domainLimit, SharedTokenBucket? tenantLimit)
    {
        public string Name { get; } = name;
        public int Weight { get; set; } = weight;
        public TenantRateLimiter? DomainLimit { get; } = domainLimit;
        public SharedTokenBucket? TenantLimit { get; } = tenantLimit;
        public LaneState[] Lanes { get; } = [new(), new()];
    }

    private sealed class LaneState
    {
        public Queue<T> Queue { get; } = new();
        public int Deficit { get; set; }
        public bool InRound { get; set; }
        public bool Parked { get; set; }
        public int Next { get; set; }
        public int Previous { get; set; }
    }
}
