using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MtaCluster.Actors;
using MtaCluster.Smtp.Server;

namespace MtaCluster.Node.Smtp;

/// <summary>Runs the node's SMTP listeners. On shutdown it stops accepting and lets open dialogues end with 421.</summary>
public sealed class SmtpServerService(SmtpServerContext context, ActorSystem actors) : IHostedService, IAsyncDisposable
{
    private SmtpServer? _server;

    public SmtpServer? Server => _server;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _server = new SmtpServer(context, new SessionActorConnectionHandler(actors, context));
        await _server.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is not null) await _server.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync().ConfigureAwait(false);
    }
}
