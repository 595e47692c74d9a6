using System.Threading.Channels;

namespace MtaCluster.Delivery.Accounting;

/// <summary>
/// The accounting records of this node, live, for whoever subscribes (the admin API's event stream):
/// a sink beside the accounting log. Each subscriber has a bounded queue of its own; a subscriber that
/// reads too slowly loses what does not fit, and is told how many it lost, so a stalled client can never
/// slow delivery or grow the node's memory. With no subscriber a record costs one volatile read.
/// </summary>
public sealed class AccountingEventFeed : IAccountingSink
{
    /// <summary>Records a subscriber may fall behind by before it loses some.</summary>
    public const int DefaultCapacity = 1024;

    private readonly Lock _gate = new();
    // Copied on every change, read without a lock: Record runs on the delivery loops' threads.
    private volatile Subscription[] _subscriptions = [];

    /// <summary>Subscribers now.</summary>
    public int SubscriberCount => _subscriptions.Length;

    public void Record(AccountingRecord record)
    {
        var subscriptions = _subscriptions;
        for (var i = 0; i < subscriptions.Length; i++) subscriptions[i].Offer(record);
    }

    /// <summary>Records from now on that <paramref name="filter"/> accepts (all when null), until the subscription is disposed.</summary>
    public Subscription Subscribe(Func<AccountingRecord, bool>? filter = null, int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        var subscription = new Subscription(this, filter, capacity);
        lock (_gate) _subscriptions = [.. _subscriptions, subscription];
        return subscription;
    }

    private void Remove(Subscription subscription)
    {
        lock (_gate) _subscriptions = _subscriptions.Where(s => !ReferenceEquals(s, subscription)).ToArray();
    }

    /// <summary>One subscriber's queue, read by one reader.</summary>
    public sealed class Subscription : IDisposable
    {
        private readonly AccountingEventFeed _feed;
        private readonly Func<AccountingRecord, bool>? _filter;
        // Wait mode only so that TryWrite says false when full (it never waits); DropWrite would drop silently.
        private readonly Channel<AccountingRecord> _queue;
        private long _dropped;

        internal Subscription(AccountingEventFeed feed, Func<AccountingRecord, bool>? filter, int capacity)
        {
            _feed = feed;
            _filter = filter;
            _queue = Channel.CreateBounded<AccountingRecord>(new BoundedChannelOptions(capacity)
            {
                FullMode = BoundedChannelFullMode.Wait,
                SingleReader = true,
                SingleWriter = false,
            });
        }

        public ChannelReader<AccountingRecord> Reader => _queue.Reader;

        /// <summary>Records lost since the last call (the queue was full), and starts counting again.</summary>
        public long TakeDropped() => Interlocked.Exchange(ref _dropped, 0);

        internal void Offer(AccountingRecord record)
        {
            if (_filter is not null && !_filter(record)) return;
            if (!_queue.Writer.TryWrite(record)) Interlocked.Increment(ref _dropped);
        }

        public void Dispose()
        {
            _feed.Remove(this);
            _queue.Writer.TryComplete();
        }
    }
}
