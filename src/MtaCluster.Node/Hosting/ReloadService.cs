using System.Runtime.InteropServices;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MtaCluster.Delivery.Policies;

namespace MtaCluster.Node.Hosting;

/// <summary>
/// SIGHUP reloads the configuration, as it does for Postfix and nginx, instead of ending the process
/// (the runtime's default for SIGHUP, exit 129): <c>domains.yaml</c> whole, and what of node.yaml can
/// change live. Listeners, sessions and queued mail are untouched. SIGTERM and SIGINT stay with the
/// console lifetime (clean stop).
/// </summary>
public sealed class ReloadService(DomainPolicyReloader policies, NodeConfigurationReloader node, ILogger<ReloadService> logger) : IHostedService, IDisposable
{
    // One pending reload is enough: signals that arrive while one runs fold into the next, which reads the files as they are then.
    private readonly Channel<bool> _requests = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _stopping = new();
    private PosixSignalRegistration? _registration;
    private Task _loop = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _registration = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true;
            _requests.Writer.TryWrite(true);
        });
        _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (await _requests.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                _requests.Reader.TryRead(out _);
                logger.LogInformation("SIGHUP: reloading the configuration");
                // Each part on its own: a domains.yaml that cannot be read (an editor's rename-write) must not
                // keep node.yaml's live settings from changing, and a reload must never take the node down.
                try
                {
                    policies.Reload();
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogError(ex, "domains.yaml reload failed; the policy in force stays");
                }
                try
                {
                    await node.ReloadAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogError(ex, "node configuration reload failed; the settings in force stay");
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // The handler stays registered until the host is disposed: a SIGHUP during shutdown is ignored, not an exit 129.
        _requests.Writer.TryComplete();
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _registration?.Dispose();
        _stopping.Dispose();
    }
}
