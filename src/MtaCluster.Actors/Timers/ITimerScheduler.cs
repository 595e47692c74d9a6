namespace MtaCluster.Actors;

/// <summary>
/// Timers that send a message to the actor itself. Starting a timer with a key that is in use
/// replaces it; a cancelled or replaced timer never delivers a message, even one already queued.
/// Every timer is cancelled when the actor stops or restarts.
/// </summary>
public interface ITimerScheduler
{
    void StartSingleTimer(object key, object message, TimeSpan delay);

    void StartPeriodicTimer(object key, object message, TimeSpan interval);

    void StartPeriodicTimer(object key, object message, TimeSpan initialDelay, TimeSpan interval);

    bool IsTimerActive(object key);

    void Cancel(object key);

    void CancelAll();
}
