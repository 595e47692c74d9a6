namespace MtaCluster.Storage;

/// <summary>
/// A store with upgrade work that would hold up a start if it ran before the node serves: the host
/// opens the store, opens its listeners, and only then calls <see cref="StartDeferredWork"/>.
/// </summary>
public interface IDeferredStartupWork
{
    /// <summary>Starts the deferred work in the background; a second call does nothing.</summary>
    void StartDeferredWork();
}
