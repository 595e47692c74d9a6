using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MtaCluster.Storage;

namespace MtaCluster.Node.Spooling;

/// <summary>Opens the spool before anything can write to it and closes it after everything that writes has stopped.</summary>
/// <remarks>
/// Opening costs the same whatever the queue holds: counting the recipients here (as this once
/// did) read every row ever stored before the listeners could open. Upgrade work that reads every
/// row (the lane index of a spool upgraded from schema version 4) starts once every service has
/// started, the listeners included.
/// </remarks>
public sealed class SpoolService(IQueueStore store, ILogger<SpoolService> logger) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        logger.LogInformation("spool open");
    }

    public Task StartedAsync(CancellationToken cancellationToken)
    {
        (store as IDeferredStartupWork)?.StartDeferredWork();
        return Task.CompletedTask;
    }

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken) => await store.DisposeAsync().ConfigureAwait(false);

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
