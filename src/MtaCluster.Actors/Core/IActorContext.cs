using Microsoft.Extensions.Logging;

namespace MtaCluster.Actors;

/// <summary>The actor's view of itself and the runtime. Use it only from the actor's own handlers.</summary>
public interface IActorContext
{
    IActorRef Self { get; }

    /// <summary>Sender of the message being handled; dead letters when there was none.</summary>
    IActorRef Sender { get; }

    /// <summary>The parent: another actor, the shard region for an entity, or dead letters for a top-level actor.</summary>
    IActorRef Parent { get; }

    ActorSystem System { get; }

    ILogger Log { get; }

    ITimerScheduler Timers { get; }

    /// <summary>
    /// Cancelled as soon as the actor is asked to stop. A handler that runs for a long time (a
    /// connection's dialogue loop) passes it to every wait so that stopping interrupts it.
    /// </summary>
    CancellationToken StoppingToken { get; }

    IActorRef ActorOf(Props props, string? name = null);

    IActorRef? Child(string name);

    IReadOnlyCollection<IActorRef> Children { get; }

    /// <summary>Asks a child or the actor itself to stop; the current message still completes.</summary>
    void Stop(IActorRef actor);

    /// <summary>Delivers <see cref="Terminated"/> to this actor when <paramref name="subject"/> stops.</summary>
    IActorRef Watch(IActorRef subject);

    IActorRef Unwatch(IActorRef subject);
}
