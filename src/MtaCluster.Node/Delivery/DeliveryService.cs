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
/// <remarks>
/// Recovery of the queue left by the last run starts only once every service has started, the
/// listeners included, and runs in the background: a node restarted on a million queued
/// recipients accepts mail at once and works through its backlog behind the listeners.
/// </remarks>
/// <param name="cluster">
/// This node's part in a cluster, or null on a spool of its own. In a cluster nothing is recovered at
/// start: the node owns no shard yet, and recovers each one as it takes its lease.
/// </param>
public sealed class DeliveryService(DeliveryEngine engine, AccountingLog accounting, ActorSystem system, ILogger<DeliveryService> logger,
    Clustering.ClusterService? cluster = null)
    : IHostedLifecycleService, INewWorkListener
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _recovery = Task.CompletedTask;

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        logger.LogInformation("delivery started; EHLO name {Helo}, remote port {Port}", engine.Context.HeloName, engine.Context.Options.RemotePort);
        return Task.CompletedTask;
    }

    public Task StartedAsync(CancellationToken cancellationToken)
    {
        if (cluster is not null) return Task.CompletedTask;
        _recovery = Task.Run(() => RecoverAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task RecoverAsync(CancellationToken cancellationToken)
    {
        logger.LogInformation("recovering queued mail behind the listeners");
        try
        {
            await engine.RecoverAllAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            logger.LogInformation("recovery stopped by shutdown; the next start resumes it");
        }
        catch (Exception ex)
        {
            // The mail is safe in the spool; its domains wake on new mail for them or at the next start.
            logger.LogError(ex, "recovery of queued mail failed");
        }
    }

    /// <summary>
    /// Longer than a worker's grace for a transaction on the wire, so the outcomes of those
    /// transactions are committed before the spool closes.
    /// </summary>
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(25);

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _recovery.ConfigureAwait(false);
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

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

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
