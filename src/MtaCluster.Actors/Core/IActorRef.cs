namespace MtaCluster.Actors;

/// <summary>
/// A handle to an actor. Every method is safe to call from any thread and never throws because the
/// actor has stopped: such messages go to the system's dead letters.
/// </summary>
/// <remarks>
/// There is no ambient sender: inside an actor pass <c>Self</c> as <paramref name="sender"/> of
/// <see cref="Tell"/> when a reply is expected. A bounded mailbox is never silently overrun:
/// <see cref="Tell"/> on a full bounded mailbox parks the message (in order, after the ones already
/// waiting) until room appears, <see cref="TellAsync"/> waits for room (backpressure) and
/// <see cref="TryTell"/> refuses.
/// </remarks>
public interface IActorRef
{
    /// <summary>The actor's path, e.g. <c>/user/parent/child</c>.</summary>
    string Path { get; }

    /// <summary>The last element of <see cref="Path"/>; for a sharded entity its entity id.</summary>
    string Name { get; }

    /// <summary>Enqueues a message; never blocks and never drops.</summary>
    void Tell(object message, IActorRef? sender = null);

    /// <summary>
    /// Enqueues a message unless the actor's bounded mailbox is full, in which case nothing is
    /// enqueued and it returns <c>false</c>. A message to a stopped actor goes to dead letters and
    /// counts as accepted.
    /// </summary>
    bool TryTell(object message, IActorRef? sender = null);

    /// <summary>Enqueues a message, waiting asynchronously while a bounded mailbox is full.</summary>
    ValueTask TellAsync(object message, IActorRef? sender = null, CancellationToken cancellationToken = default);
}
