namespace MtaCluster.Actors;

/// <summary>
/// What a timer puts in the mailbox. One instance per started timer, reused by every tick, so the
/// actor can tell by reference whether the timer is still the current one for its key.
/// </summary>
internal sealed class TimerFired(TimerScheduler scheduler, object key, object message, bool periodic) : IAutoReceivedMessage
{
    public TimerScheduler Scheduler { get; } = scheduler;

    public object Key { get; } = key;

    public object Message { get; } = message;

    public bool Periodic { get; } = periodic;

    public ITimer? Timer { get; set; }
}
