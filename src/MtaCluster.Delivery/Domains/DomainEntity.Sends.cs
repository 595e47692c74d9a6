using MtaCluster.Delivery.Scheduling;
using MtaCluster.Delivery.Tenants;
using MtaCluster.Mail;
using MtaCluster.Storage;

namespace MtaCluster.Delivery.Domains;

// What the domain sends next: its due recipients fetched queue by queue (lane, tenant) from the
// spool, and the send scheduler that orders them (transactional first with a floor for bulk,
// tenants by weight, each under its own limits).
public sealed partial class DomainEntity
{
    private DomainSendScheduler<WorkItem> _sends = null!;
    // The tenants the scheduler's slots were made under; see FollowReloadedTenants.
    private TenantDirectory? _tenants;
    // Recipients in flight per queue, so each queue's fetch asks for enough to get a batch past its own.
    private readonly Dictionary<LaneQueueKey, int> _inFlightPerQueue = new();
    // Queues left with more in the spool than was fetched (or not fetched because enough waits here).
    private readonly HashSet<LaneQueueKey> _queuesWithMore = new();
    // New mail or unsettled recipients since the last listing of the domain's queues.
    private bool _newWork = true;
    // The last fetch found a queue due yet got none of it: the store holds a suspension not heard of here.
    private bool _dueButNoneGiven;

    private void MayHaveMore()
    {
        _mayHaveMore = true;
        _newWork = true;
    }

    private async Task RefillAsync(DateTimeOffset now)
    {
        var batch = _context.Options.FetchBatchSize;
        if (!_mayHaveMore) return;
        // Only queues running low are read again: with one busy queue this is as quiet as a single queue.
        if (!_newWork && AllQueuesStocked(batch)) return;
        // Coalesce wake-ups: under a flood of new mail re-read the spool once per interval, not per message.
        var sinceLast = now - _lastFetch;
        if (sinceLast < _context.Options.FetchInterval)
        {
            StartPumpTimer(_context.Options.FetchInterval - sinceLast);
            return;
        }
        _lastFetch = now;
        _newWork = false;
        _dueButNoneGiven = false;
        _queuesWithMore.Clear();
        var queues = await _context.Store.GetLaneQueuesAsync(_domain).ConfigureAwait(false);
        foreach (var queue in queues)
        {
            if (queue.NextAttemptAt > now) continue;
            var key = new LaneQueueKey(queue.Lane, queue.Tenant);
            var tenant = TenantSlot(queue.Tenant);
            if (_sends.Queued(queue.Lane, tenant) >= batch / 2)
            {
                _queuesWithMore.Add(key);
                continue;
            }
            // Recipients still in flight are due too and come first; ask for enough to get a batch past them.
            var limit = _inFlightPerQueue.GetValueOrDefault(key) + batch;
            var due = await _context.Store.GetDueRecipientsForDomainAsync(_domain, queue.Lane, queue.Tenant, now, limit).ConfigureAwait(false);
            if (due.Count == 0) _dueButNoneGiven = true;
            Enqueue(key, tenant, due);
            if (due.Count >= limit) _queuesWithMore.Add(key);
        }
        _mayHaveMore = _queuesWithMore.Count > 0;
    }

    private bool AllQueuesStocked(int batch)
    {
        foreach (var key in _queuesWithMore)
        {
            if (!_sends.TryGetTenant(key.Tenant, out var tenant) || _sends.Queued(key.Lane, tenant) < batch / 2) return false;
        }
        return true;
    }

    private void Enqueue(LaneQueueKey key, int tenant, IReadOnlyList<QueuedRecipient> due)
    {
        var pending = new List<QueuedRecipient>();
        foreach (var recipient in due)
        {
            if (!_inFlight.TryAdd(recipient.RecipientId, key)) continue;
            _inFlightPerQueue[key] = _inFlightPerQueue.GetValueOrDefault(key) + 1;
            if (pending.Count > 0 && (pending[0].MessageId != recipient.MessageId || pending.Count >= _match.Policy.MaxRecipientsPerTransaction))
            {
                _sends.Enqueue(key.Lane, tenant, new WorkItem(pending[0].MessageId, pending.ToArray()));
                pending.Clear();
            }
            pending.Add(recipient);
        }
        if (pending.Count > 0) _sends.Enqueue(key.Lane, tenant, new WorkItem(pending[0].MessageId, pending.ToArray()));
    }

    private void ForgetInFlight(long recipientId)
    {
        if (!_inFlight.Remove(recipientId, out var key)) return;
        var left = _inFlightPerQueue[key] - 1;
        if (left == 0) _inFlightPerQueue.Remove(key);
        else _inFlightPerQueue[key] = left;
    }

    /// <summary>
    /// The scheduler's slot of a tenant: its weight and own hourly limit from node.yaml (a tenant the
    /// configuration no longer has weighs 1, unlimited), its limits at this domain from the policy.
    /// </summary>
    private int TenantSlot(string name)
    {
        if (_sends.TryGetTenant(name, out var slot)) return slot;
        _tenants ??= _context.TenantHolder.Current;
        var tenant = _tenants.Find(name);
        var domainLimit = _context.TenantLimiter(_match.ThrottleKey, name, _match.Policy.LimitsFor(name), _match.Policy.ThrottleLimits.BurstWindow);
        return _sends.AddTenant(name, tenant?.Weight ?? 1, domainLimit, tenant is null ? null : _context.TenantBucket(tenant));
    }

    /// <summary>A scheduler under the policy now in force, holding what the previous one held, each queue in its order.</summary>
    private void RebuildSends()
    {
        var previous = _sends;
        _sends = new DomainSendScheduler<WorkItem>(_context.Options.BulkFloor, _context.Time);
        if (previous is null || previous.Count == 0) return;
        foreach (var send in previous.RemoveAll())
        {
            _sends.Enqueue(send.Lane, TenantSlot(previous.TenantName(send.Tenant)), send.Item);
        }
    }
}

/// <summary>One of a domain's queues in the spool: its recipients of one lane and one tenant.</summary>
internal readonly record struct LaneQueueKey(DeliveryLane Lane, string Tenant);
