using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MtaCluster.Storage;

namespace MtaCluster.Node.Spooling;

/// <summary>Opens the spool before anything can write to it and closes it after everything that writes has stopped.</summary>
/// <remarks>
/// Opening costs the same whatever the queue holds: counting the recipients here (as this once
/// did) read every row ever stored before the listeners could open.
/// </remarks>
public sealed class SpoolService(IQueueStore store, ILogger<SpoolService> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        logger.LogInformation("spool open");
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await store.DisposeAsync().ConfigureAwait(false);
}
