namespace MtaCluster.Actors;

/// <summary>System-wide publish/subscribe by event type (dead letters, supervision give-ups, anything else).</summary>
public sealed class EventStream
{
    private readonly Lock _gate = new();
    private volatile Subscription[] _subscriptions = [];

    internal bool HasSubscribers => _subscriptions.Length > 0;

    public void Subscribe(IActorRef subscriber, Type eventType)
    {
        ArgumentNullException.ThrowIfNull(subscriber);
        ArgumentNullException.ThrowIfNull(eventType);
        lock (_gate)
        {
            _subscriptions = [.. _subscriptions, new Subscription(eventType, subscriber)];
        }
    }

    public void Subscribe<TEvent>(IActorRef subscriber) => Subscribe(subscriber, typeof(TEvent));

    public void Unsubscribe(IActorRef subscriber)
    {
        lock (_gate)
        {
            _subscriptions = [.. _subscriptions.Where(s => !ReferenceEquals(s.Subscriber, subscriber))];
        }
    }

    public void Publish(object @event)
    {
        ArgumentNullException.ThrowIfNull(@event);
        foreach (var subscription in _subscriptions)
        {
            if (subscription.EventType.IsInstanceOfType(@event))
            {
                subscription.Subscriber.Tell(@event);
            }
        }
    }

    private sealed record Subscription(Type EventType, IActorRef Subscriber);
}
