using Microsoft.Extensions.Logging;

namespace MtaCluster.Actors;

/// <summary>
/// Base class of every actor. The runtime calls <see cref="OnReceiveAsync"/> with one message at a
/// time; the next message is not handed over until the returned task completes, so a handler may
/// await freely (even for the lifetime of a connection) without any locking of its own state.
/// </summary>
public abstract class ActorBase
{
    private readonly ActorCell _cell;

    protected ActorBase()
    {
        _cell = ActorCell.Constructing
            ?? throw new InvalidOperationException(
                "An actor is created by the runtime from its Props (ActorSystem.ActorOf or IActorContext.ActorOf), not with new.");
    }

    protected IActorContext Context => _cell;

    protected IActorRef Self => _cell;

    protected IActorRef Sender => _cell.Sender;

    protected ITimerScheduler Timers => _cell.Timers;

    protected ILogger Log => _cell.Log;

    /// <summary>
    /// Handles one message. Return a completed task (<c>default</c>) on the synchronous path: the
    /// runtime then stays in its drain loop without any allocation.
    /// </summary>
    protected abstract ValueTask OnReceiveAsync(object message);

    /// <summary>Runs before the first message of every incarnation (the first start and each restart).</summary>
    protected virtual ValueTask PreStartAsync() => default;

    /// <summary>
    /// Runs once an incarnation is over: on stop, on passivation and before a restart. Only an
    /// incarnation whose PreStart completed gets it; children have already stopped when it runs.
    /// </summary>
    protected virtual ValueTask PostStopAsync() => default;

    /// <summary>Sends a message the actor does not understand to dead letters.</summary>
    protected void Unhandled(object message) => _cell.Unhandled(message);

    internal ValueTask InvokeReceive(object message) => OnReceiveAsync(message);

    internal ValueTask InvokePreStart() => PreStartAsync();

    internal ValueTask InvokePostStop() => PostStopAsync();
}
