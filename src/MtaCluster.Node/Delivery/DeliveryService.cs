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

    /// <summary>
    /// Longer than a worker's grace for a transaction on the wire, so the outcomes of those
    /// transactions are committed before the spool closes.
    /// </summary>
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(25);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            // Its own bound rather than the host's shared one, which stopping the listeners may have used up.
            await system.StopAsync(engine.Domains).WaitAsync(StopTimeout, CancellationToken.None).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            logger.LogWarning("delivery did not stop within {Timeout}; unsettled recipients will be sent again after restart", StopTimeout);
        }
        finally
        {
            await accounting.DisposeAsync().ConfigureAwait(false);
        }
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
