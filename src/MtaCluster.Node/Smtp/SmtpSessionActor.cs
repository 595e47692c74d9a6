using MtaCluster.Actors;
using MtaCluster.Smtp.Server;

namespace MtaCluster.Node.Smtp;

/// <summary>
/// One inbound connection. Its single message runs the ESMTP dialogue to the end; stopping the
/// actor (node shutdown) cancels the dialogue, which answers 421 and closes.
/// </summary>
public sealed class SmtpSessionActor(SmtpConnection connection, SmtpServerContext context, TaskCompletionSource finished) : ActorBase
{
    private sealed class RunDialogue
    {
        public static readonly RunDialogue Instance = new();
    }

    /// <summary>A failed dialogue has lost its connection: restarting it could only talk to a closed socket.</summary>
    public static Props Props(SmtpConnection connection, SmtpServerContext context, TaskCompletionSource finished) =>
        Actors.Props.Create(() => new SmtpSessionActor(connection, context, finished))
            .WithSupervisorStrategy(SupervisorStrategy.StoppingStrategy);

    protected override ValueTask PreStartAsync()
    {
        Self.Tell(RunDialogue.Instance);
        return default;
    }

    protected override async ValueTask OnReceiveAsync(object message)
    {
        if (message is not RunDialogue)
        {
            Unhandled(message);
            return;
        }
        try
        {
            await new SmtpSession(connection, connection.Listener, context).RunAsync(Context.StoppingToken).ConfigureAwait(false);
        }
        finally
        {
            Context.Stop(Self);
        }
    }

    protected override ValueTask PostStopAsync()
    {
        finished.TrySetResult();
        return default;
    }
}
