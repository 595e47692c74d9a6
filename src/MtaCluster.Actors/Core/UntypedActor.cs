namespace MtaCluster.Actors;

/// <summary>An actor whose handler is synchronous: the fast path with nothing to await.</summary>
public abstract class UntypedActor : ActorBase
{
    protected abstract void OnReceive(object message);

    protected sealed override ValueTask OnReceiveAsync(object message)
    {
        OnReceive(message);
        return default;
    }
}
