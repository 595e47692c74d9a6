namespace MtaCluster.Actors;

public static class ActorRefExtensions
{
    /// <summary>
    /// Sends <paramref name="message"/> with a temporary sender and returns the first reply. Throws
    /// <see cref="AskTimeoutException"/> when no reply arrives within <paramref name="timeout"/> or the
    /// recipient has stopped, the reply's exception for a <see cref="Status.Failure"/>, and
    /// <see cref="InvalidCastException"/> for a reply that is not a <typeparamref name="T"/>.
    /// </summary>
    public static async Task<T> Ask<T>(this IActorRef target, object message, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(message);
        var time = (target as IInternalActorRef)?.System.TimeProvider ?? TimeProvider.System;
        var promise = new PromiseActorRef(target.Path);
        target.Tell(message, promise);
        object reply;
        try
        {
            reply = await promise.Reply.WaitAsync(timeout, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException ex) when (ex is not AskTimeoutException)
        {
            throw new AskTimeoutException($"Ask to {target.Path} got no reply within {timeout}.", ex);
        }

        return reply is T typed
            ? typed
            : throw new InvalidCastException($"Ask to {target.Path} expected {typeof(T).Name} but the reply was {reply.GetType().Name}.");
    }

    public static Task<object> Ask(this IActorRef target, object message, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        target.Ask<object>(message, timeout, cancellationToken);

    /// <summary>Passes a message on with its original sender, so the final recipient replies straight to it.</summary>
    public static void Forward(this IActorRef target, object message, IActorContext context) =>
        target.Tell(message, context.Sender);
}
