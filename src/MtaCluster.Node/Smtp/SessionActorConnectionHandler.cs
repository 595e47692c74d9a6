using MtaCluster.Actors;
using MtaCluster.Smtp.Server;

namespace MtaCluster.Node.Smtp;

/// <summary>Makes every accepted connection a <see cref="SmtpSessionActor"/> and waits for it to stop.</summary>
public sealed class SessionActorConnectionHandler(ActorSystem system, SmtpServerContext context) : ISmtpConnectionHandler
{
    public async Task HandleConnectionAsync(SmtpConnection connection, CancellationToken cancellationToken)
    {
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var session = system.ActorOf(SmtpSessionActor.Props(connection, context, finished), $"smtp-{connection.Id}");
        await using var stopOnShutdown = cancellationToken.Register(() => _ = system.StopAsync(session));
        await finished.Task.ConfigureAwait(false);
    }
}
