namespace MtaCluster.Actors.Tests;

/// <summary>The system clock, counting timers that were created and not yet disposed.</summary>
internal sealed class CountingTimeProvider : TimeProvider
{
    private int _active;

    public int ActiveTimers => Volatile.Read(ref _active);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        Interlocked.Increment(ref _active);
        return new CountedTimer(this, System.CreateTimer(callback, state, dueTime, period));
    }

    private sealed class CountedTimer(CountingTimeProvider owner, ITimer inner) : ITimer
    {
        private int _disposed;

        public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(dueTime, period);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref owner._active);
            }

            inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return default;
        }
    }
}
