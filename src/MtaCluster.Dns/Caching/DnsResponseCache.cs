namespace MtaCluster.Dns.Caching;

/// <summary>
/// Bounded answer cache with per-entry expiry and least-recently-used eviction. A single lock keeps
/// the dictionary and recency list consistent; the critical sections are a few pointer moves.
/// </summary>
internal sealed class DnsResponseCache
{
    private readonly Dictionary<DnsCacheKey, LinkedListNode<Entry>> _entries;
    private readonly LinkedList<Entry> _recency = new();
    private readonly TimeProvider _clock;
    private readonly int _capacity;
    private readonly Lock _lock = new();

    public DnsResponseCache(int capacity, TimeProvider clock)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
        _clock = clock;
        _entries = new Dictionary<DnsCacheKey, LinkedListNode<Entry>>(Math.Min(capacity, 1024));
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    public bool TryGet(DnsCacheKey key, out DnsQueryResponse response)
    {
        DateTimeOffset now = _clock.GetUtcNow();
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out LinkedListNode<Entry>? node))
            {
                if (node.Value.ExpiresAt > now)
                {
                    _recency.Remove(node);
                    _recency.AddFirst(node);
                    response = node.Value.Response;
                    return true;
                }

                _recency.Remove(node);
                _entries.Remove(key);
            }
        }

        response = null!;
        return false;
    }

    public void Set(DnsCacheKey key, DnsQueryResponse response, TimeSpan lifetime)
    {
        if (lifetime <= TimeSpan.Zero)
        {
            return;
        }

        var entry = new Entry(key, response, _clock.GetUtcNow() + lifetime);
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out LinkedListNode<Entry>? existing))
            {
                existing.Value = entry;
                _recency.Remove(existing);
                _recency.AddFirst(existing);
                return;
            }

            while (_entries.Count >= _capacity && _recency.Last is { } oldest)
            {
                _recency.RemoveLast();
                _entries.Remove(oldest.Value.Key);
            }

            _entries.Add(key, _recency.AddFirst(entry));
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _entries.Clear();
            _recency.Clear();
        }
    }

    private sealed record Entry(DnsCacheKey Key, DnsQueryResponse Response, DateTimeOffset ExpiresAt);
}
