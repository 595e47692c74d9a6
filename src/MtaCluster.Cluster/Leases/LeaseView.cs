using System.Diagnostics;

namespace MtaCluster.Cluster.Leases;

/// <summary>
/// The leases this node believes it holds: an epoch and a belief deadline per shard, read without a
/// lock or a round trip (the region asks for every message). A lease counts only until its deadline on
/// this node's monotonic clock, which the renewal sets short of the database's expiry: the node stops
/// believing before the store would let another node take the shard over.
/// </summary>
internal sealed class LeaseView
{
    private readonly long[] _epochs;
    private readonly long[] _believedUntil;
    private readonly object _gate = new();
    private TaskCompletionSource _changed = NewSignal();
    private int _count;

    public LeaseView(int maxShards)
    {
        _epochs = new long[maxShards];
        _believedUntil = new long[maxShards];
    }

    /// <summary>Test hook: told of every change, under the view's lock, with the Stopwatch time it took effect.</summary>
    internal Action<LeaseChange>? Changed { get; set; }

    public int MaxShards => _epochs.Length;

    public int Count => Volatile.Read(ref _count);

    public bool TryGetEpoch(int shard, out long epoch)
    {
        if ((uint)shard < (uint)_epochs.Length)
        {
            epoch = Volatile.Read(ref _epochs[shard]);
            if (epoch != 0 && Stopwatch.GetTimestamp() < Volatile.Read(ref _believedUntil[shard])) return true;
        }

        epoch = 0;
        return false;
    }

    public bool IsHeld(int shard) => TryGetEpoch(shard, out _);

    /// <summary>Completes at the next change (a lease gained or dropped).</summary>
    public Task WhenChanged()
    {
        lock (_gate) return _changed.Task;
    }

    public void Add(int shard, long epoch, long believedUntil)
    {
        lock (_gate)
        {
            long previous = _epochs[shard];
            long startedAt = Stopwatch.GetTimestamp();
            Volatile.Write(ref _believedUntil[shard], believedUntil);
            Volatile.Write(ref _epochs[shard], epoch);
            if (previous == 0) _count++;
            Changed?.Invoke(new LeaseChange(shard, epoch, true, startedAt));
            SignalLocked();
        }
    }

    /// <summary>Extends the belief in a lease the store renewed, unless it was dropped (or retaken) meanwhile.</summary>
    public bool Renew(int shard, long epoch, long believedUntil)
    {
        lock (_gate)
        {
            if (_epochs[shard] != epoch) return false;
            if (Stopwatch.GetTimestamp() >= _believedUntil[shard]) return false;
            Volatile.Write(ref _believedUntil[shard], believedUntil);
            return true;
        }
    }

    /// <summary>Drops the lease if it is still held with <paramref name="epoch"/>; true when it was.</summary>
    public bool Remove(int shard, long epoch)
    {
        lock (_gate)
        {
            if (_epochs[shard] != epoch || epoch == 0) return false;
            DropLocked(shard);
            return true;
        }
    }

    /// <summary>Drops a lease whatever its epoch; returns the epoch it had (0 when none).</summary>
    public long Remove(int shard)
    {
        lock (_gate)
        {
            long epoch = _epochs[shard];
            if (epoch != 0) DropLocked(shard);
            return epoch;
        }
    }

    /// <summary>Drops the leases whose belief deadline has passed; appends their shards.</summary>
    public void DropExpired(List<int> dropped)
    {
        long now = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            for (int shard = 0; shard < _epochs.Length; shard++)
            {
                if (_epochs[shard] != 0 && now >= _believedUntil[shard])
                {
                    DropLocked(shard);
                    dropped.Add(shard);
                }
            }
        }
    }

    /// <summary>The leases held now, as (shard, epoch) pairs.</summary>
    public void Snapshot(List<int> shards, List<long> epochs)
    {
        lock (_gate)
        {
            for (int shard = 0; shard < _epochs.Length; shard++)
            {
                if (_epochs[shard] != 0)
                {
                    shards.Add(shard);
                    epochs.Add(_epochs[shard]);
                }
            }
        }
    }

    private void DropLocked(int shard)
    {
        // A lease that lapsed ended at its deadline, not when it was noticed: IsHeld has said false since then.
        long endedAt = Math.Min(Stopwatch.GetTimestamp(), _believedUntil[shard]);
        long epoch = _epochs[shard];
        Volatile.Write(ref _epochs[shard], 0);
        _count--;
        Changed?.Invoke(new LeaseChange(shard, epoch, false, endedAt));
        SignalLocked();
    }

    private void SignalLocked()
    {
        var changed = _changed;
        _changed = NewSignal();
        changed.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
