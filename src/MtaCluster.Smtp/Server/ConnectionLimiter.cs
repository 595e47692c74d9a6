using System.Collections.Concurrent;
using System.Net;

namespace MtaCluster.Smtp.Server;

/// <summary>Counts open connections in total and per client address.</summary>
public sealed class ConnectionLimiter
{
    private readonly ConcurrentDictionary<IPAddress, int> _perClient = new();
    private readonly int _maxTotal;
    private readonly int _maxPerClient;
    private int _total;

    public ConnectionLimiter(int maxTotal, int maxPerClient)
    {
        _maxTotal = maxTotal;
        _maxPerClient = maxPerClient;
    }

    public int Count => Volatile.Read(ref _total);

    /// <summary>Takes a slot; when false nothing was taken and <see cref="Release"/> must not be called.</summary>
    public bool TryAcquire(IPAddress client) => TryAcquire(client, out _);

    /// <summary>As <see cref="TryAcquire(IPAddress)"/>; when false, <paramref name="perClient"/> tells which limit refused it.</summary>
    public bool TryAcquire(IPAddress client, out bool perClient)
    {
        perClient = false;
        if (Interlocked.Increment(ref _total) > _maxTotal)
        {
            Interlocked.Decrement(ref _total);
            return false;
        }
        int mine = _perClient.AddOrUpdate(client, 1, (_, n) => n + 1);
        if (mine > _maxPerClient)
        {
            Release(client);
            perClient = true;
            return false;
        }
        return true;
    }

    public void Release(IPAddress client)
    {
        Interlocked.Decrement(ref _total);
        while (true)
        {
            int current = _perClient.GetValueOrDefault(client);
            if (current <= 1)
            {
                if (_perClient.TryRemove(new KeyValuePair<IPAddress, int>(client, current))) return;
                if (current == 0) return;
            }
            else if (_perClient.TryUpdate(client, current - 1, current))
            {
                return;
            }
        }
    }
}
