using Microsoft.Extensions.Hosting;
using MtaCluster.Cluster;
using MtaCluster.Node.Admin;

namespace MtaCluster.Node.Clustering;

/// <summary>
/// Hands the cluster member what its heartbeat publishes for the other nodes' admin API: this node's
/// admin address (once the endpoint has bound) and its running entities, counted once per heartbeat
/// interval here rather than inside the heartbeat, so a busy region never delays a lease renewal.
/// </summary>
public sealed class ClusterStatusPublisher(ClusterMember member, AdminApi api, ClusterOptions options) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _loop = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Started after the admin endpoint, which has bound by now.
        if (api.ListenAddress.Length > 0) member.AdminAddress = api.ListenAddress;
        _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.HeartbeatInterval);
        try
        {
            do
            {
                member.Entities = await api.CountEntitiesAsync(cancellationToken).ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => _stopping.Dispose();
}
