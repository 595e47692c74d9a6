using System.Runtime.InteropServices;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MtaCluster.Delivery.Policies;
using MtaCluster.Node.Configuration;

namespace MtaCluster.Node.Hosting;

/// <summary>
/// SIGHUP reloads the configuration, as it does for Postfix and nginx, instead of ending the process
/// (the runtime's default for SIGHUP, exit 129): <c>domains.yaml</c> whole, and what of node.yaml can
/// change live. Listeners, sessions and queued mail are untouched. SIGTERM and SIGINT stay with the
/// console lifetime (clean stop). The admin API's reload runs the same <see cref="ReloadAsync"/>.
/// </summary>
public sealed class ReloadService(DomainPolicyReloader policies, NodeConfigurationReloader node, ILogger<ReloadService> logger) : IHostedService, IDisposable
{
    // One pending reload is enough: signals that arrive while one runs fold into the next, which reads the files as they are then.
    private readonly Channel<bool> _requests = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _serial = new(1, 1);
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
                await ReloadAsync("SIGHUP", cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// What SIGHUP runs, for every trigger (the signal, the admin API's <c>POST /api/config/reload</c>):
    /// one reload at a time, so two never interleave their reads and replacements, and each reads the
    /// files as they are when it starts. Says which files were put in force and why any was refused.
    /// </summary>
    public async Task<ConfigurationReloadResult> ReloadAsync(string trigger, CancellationToken cancellationToken)
    {
        // The reload itself runs to its end once begun: a caller that gives up must not leave half a configuration applied.
        await _serial.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            logger.LogInformation("{Trigger}: reloading the configuration", trigger);
            var reloaded = new List<string>();
            var errors = new List<ConfigurationError>();
            // Each part on its own: a domains.yaml that cannot be read (an editor's rename-write) must not
            // keep node.yaml's live settings from changing, and a reload must never take the node down.
            try
            {
                var outcome = policies.ReloadWithOutcome();
                if (outcome.Applied && policies.Path is not null) reloaded.Add(policies.Path);
                if (outcome.Refusal is { } refusal) errors.AddRange(DomainPolicyErrorLine.All(refusal));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "domains.yaml reload failed; the policy in force stays");
                errors.Add(new ConfigurationError(policies.Path ?? "domains.yaml", null, null, ex.Message));
            }
            try
            {
                var outcome = await node.ReloadAsync(_stopping.Token).ConfigureAwait(false);
                if (outcome.Applied) reloaded.AddRange(node.Files);
                errors.AddRange(outcome.Errors);
                return new ConfigurationReloadResult(reloaded, errors, outcome.RestartNeeded ?? []);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "node configuration reload failed; the settings in force stay");
                errors.Add(new ConfigurationError("node configuration", null, null, ex.Message));
                return new ConfigurationReloadResult(reloaded, errors, []);
            }
        }
        finally
        {
            _serial.Release();
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
        _serial.Dispose();
    }
}

/// <summary>
/// What a reload did: the files put in force, and the errors of those refused (whose configuration in
/// force stays); <paramref name="RestartNeeded"/> are node.yaml keys changed that only a restart applies.
/// </summary>
public sealed record ConfigurationReloadResult(IReadOnlyList<string> Reloaded, IReadOnlyList<ConfigurationError> Errors, IReadOnlyList<string> RestartNeeded)
{
    public bool InForce => Errors.Count == 0;
}
