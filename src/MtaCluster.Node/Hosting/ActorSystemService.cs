using Microsoft.Extensions.Hosting;
using MtaCluster.Actors;

namespace MtaCluster.Node.Hosting;

/// <summary>Registered first so that it stops last: every actor is stopped after the services that use them.</summary>
public sealed class ActorSystemService(ActorSystem system) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => system.TerminateAsync().WaitAsync(cancellationToken);
}
