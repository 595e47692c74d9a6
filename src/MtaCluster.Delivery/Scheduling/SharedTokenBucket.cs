using MtaCluster.Delivery.Throttling;

namespace MtaCluster.Delivery.Scheduling;

/// <summary>
/// A <see cref="TokenBucket"/> that several domains draw from at once: a tenant's own hourly limit
/// holds over all its domains, whose entities run on different threads. Taking is one atomic step,
/// so the limit is exact however many domains race for the last token.
/// </summary>
public sealed class SharedTokenBucket(TokenBucket bucket)
{
    private readonly Lock _gate = new();

    public bool TryTake(DateTimeOffset now, out TimeSpan wait)
    {
        lock (_gate)
        {
            if (bucket.TryTake(now))
            {
                wait = TimeSpan.Zero;
                return true;
            }
            wait = bucket.TimeUntilAvailable(now);
            return false;
        }
    }

    /// <summary>Takes a new capacity and rate (a reloaded limit), keeping the credit earned; nothing changes when they are the same.</summary>
    public void Reshape(int capacity, int tokensPerPeriod, TimeSpan period, DateTimeOffset now)
    {
        lock (_gate)
        {
            if (bucket.Capacity == capacity && bucket.TokensPerPeriod == tokensPerPeriod && bucket.Period == period) return;
            bucket.Reconfigure(capacity, tokensPerPeriod, period, now);
        }
    }

    public int Available(DateTimeOffset now)
    {
        lock (_gate) return bucket.Available(now);
    }
}
