using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MtaCluster.Storage;

namespace MtaCluster.Node.Spooling;

/// <summary>Opens the spool before anything can write to it and closes it after everything that writes has stopped.</summary>
public sealed class SpoolService(IQueueStore store, ILogger<SpoolService> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        var statistics = await store.GetStatisticsAsync(cancellationToken).ConfigureAwait(false);
        logger.LogInformation("spool open: {Messages} messages, {Pending} recipients pending", statistics.Messages, statistics.Pending);
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await store.DisposeAsync().ConfigureAwait(false);
}
