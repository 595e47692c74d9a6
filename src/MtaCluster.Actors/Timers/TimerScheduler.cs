namespace MtaCluster.Actors;

internal sealed class TimerScheduler(ActorCell cell, TimeProvider time) : ITimerScheduler
{
    private readonly ActorCell _cell = cell;
    private readonly Dictionary<object, TimerFired> _timers = [];

    public void StartSingleTimer(object key, object message, TimeSpan delay) =>
        Start(key, message, delay, Timeout.InfiniteTimeSpan);

    public void StartPeriodicTimer(object key, object message, TimeSpan interval) =>
        Start(key, message, interval, interval);

    public void StartPeriodicTimer(object key, object message, TimeSpan initialDelay, TimeSpan interval) =>
        Start(key, message, initialDelay, interval);

    public bool IsTimerActive(object key)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_timers)
        {
            return _timers.ContainsKey(key);
        }
    }

    public void Cancel(object key)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_timers)
        {
            if (_timers.Remove(key, out var fired))
            {
                fired.Timer?.Dispose();
            }
        }
    }

    public void CancelAll()
    {
        lock (_timers)
        {
            foreach (var fired in _timers.Values)
            {
                fired.Timer?.Dispose();
            }

            _timers.Clear();
        }
    }

    /// <summary>Called by the actor when a tick is dequeued: false for a tick of a cancelled or replaced timer.</summary>
    public bool TryAccept(TimerFired fired)
    {
        lock (_timers)
        {
            if (!_timers.TryGetValue(fired.Key, out var current) || !ReferenceEquals(current, fired))
            {
                return false;
            }

            if (!fired.Periodic)
            {
                _timers.Remove(fired.Key);
                fired.Timer?.Dispose();
            }

            return true;
        }
    }

    private void Start(object key, object message, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(message);
        if (dueTime < TimeSpan.Zero)
        {
            dueTime = TimeSpan.Zero;
        }

        if (period != Timeout.InfiniteTimeSpan && period <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(period), "A periodic timer needs a positive interval.");
        }

        var fired = new TimerFired(this, key, message, period != Timeout.InfiniteTimeSpan);
        lock (_timers)
        {
            if (_timers.Remove(key, out var previous))
            {
                previous.Timer?.Dispose();
            }

            _timers[key] = fired;
            fired.Timer = time.CreateTimer(static state => Fire((TimerFired)state!), fired, dueTime, period);
        }
    }

    private static void Fire(TimerFired fired) => fired.Scheduler._cell.EnqueueTimerTick(fired);
}
