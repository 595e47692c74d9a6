using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MtaCluster.Actors;
using MtaCluster.Delivery.Accounting;
using MtaCluster.Delivery.Domains;
using MtaCluster.Node.Spooling;
using MtaCluster.Storage;

namespace MtaCluster.Node.Delivery;

/// <summary>
/// Runs the node's outbound delivery. Registered after the spool and before the SMTP server, so on
/// shutdown the listeners stop first, then the domain entities (their connections finish or are
/// cancelled, leaving unsent recipients due), and the spool closes after both.
/// </summary>
public sealed class DeliveryService(DeliveryEngine engine, AccountingLog accounting, ActorSystem system, ILogger<DeliveryService> logger)
    : IHostedService, INewWorkListener
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await engine.RecoverAllAsync(cancellationToken).ConfigureAwait(false);
        logger.LogInformation("delivery started; EHLO name {Helo}, remote port {Port}", engine.Context.HeloName, engine.Context.Options.RemotePort);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await system.StopAsync(engine.Domains).WaitAsync(cancellationToken).ConfigureAwait(false);
        await accounting.DisposeAsync().ConfigureAwait(false);
    }

    public void OnNewWork(IReadOnlyList<SpoolRecipient> recipients)
    {
        if (recipients.Count == 1)
        {
            engine.OnNewWork([recipients[0].Domain]);
            return;
        }
        engine.OnNewWork(recipients.Select(r => r.Domain).Distinct(StringComparer.Ordinal));
    }
}
