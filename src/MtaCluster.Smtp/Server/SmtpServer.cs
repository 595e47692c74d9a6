using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using MtaCluster.Smtp.Protocol;

namespace MtaCluster.Smtp.Server;

/// <summary>
/// Accepts connections on the configured listeners, enforces the connection limits (421 4.7.0 at the
/// greeting) and hands every other connection to the <see cref="ISmtpConnectionHandler"/>.
/// </summary>
public sealed class SmtpServer : IAsyncDisposable
{
    private readonly SmtpServerContext _context;
    private readonly ISmtpConnectionHandler _handler;
    private readonly ILogger _logger;
    private readonly ConnectionLimiter _limiter;
    private readonly ConcurrentDictionary<long, Task> _connections = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<SmtpListener> _listeners = new();
    private readonly List<Task> _acceptLoops = new();

    public SmtpServer(SmtpServerContext context, ISmtpConnectionHandler? handler = null)
    {
        _context = context;
        _handler = handler ?? new SmtpSessionHandler(context);
        _logger = context.LoggerFactory.CreateLogger<SmtpServer>();
        _limiter = new ConnectionLimiter(context.Options.MaxConnections, context.Options.MaxConnectionsPerClient);
    }

    public IReadOnlyList<SmtpListener> Listeners => _listeners;

    public int ConnectionCount => _limiter.Count;

    /// <summary>Binds every listener (failing if any cannot bind) and starts accepting.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            foreach (var options in _context.Options.EffectiveListeners())
            {
                if (options.Kind == SmtpListenerKind.ImplicitTls && _context.Certificate is null)
                    throw new InvalidOperationException($"Listener '{options.Name}' uses implicit TLS but no certificate is available.");
                _listeners.Add(new SmtpListener(options));
            }
        }
        catch
        {
            foreach (var listener in _listeners) listener.Dispose();
            _listeners.Clear();
            throw;
        }
        foreach (var listener in _listeners)
        {
            _logger.LogInformation("SMTP listener {Name} on {EndPoint} ({Kind}, {Tls}, {Auth})", listener.Options.Name, listener.LocalEndPoint,
                listener.Options.Kind, TlsMode(listener.Options), AuthMode(listener.Options));
            // RFC 4954 §4: AUTH only over TLS, so without a certificate such a listener can take no mail at all.
            if (listener.Options.RequiresAuth && (_context.Certificate is null || _context.Authenticator is null))
                _logger.LogWarning("SMTP listener {Name} requires AUTH but has no TLS certificate or no authenticator: every MAIL will get 530", listener.Options.Name);
            _acceptLoops.Add(Task.Run(() => AcceptLoopAsync(listener)));
        }
        var disabled = _context.Options.DisabledListeners();
        if (disabled.Count > 0) _logger.LogInformation("SMTP listeners disabled: {Names}", string.Join(", ", disabled));
        return Task.CompletedTask;
    }

    private string TlsMode(SmtpListenerOptions listener) =>
        listener.Kind == SmtpListenerKind.ImplicitTls ? "implicit TLS" : _context.Certificate is null ? "no TLS" : "STARTTLS";

    private string AuthMode(SmtpListenerOptions listener) =>
        listener.RequiresAuth ? "AUTH required" : _context.Authenticator is null ? "no AUTH" : "AUTH optional";

    /// <summary>Stops accepting, cancels every SMTP session (they answer 421 4.3.2) and waits for them to end.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (!_stopping.IsCancellationRequested) await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var listener in _listeners) listener.Dispose();
        await Task.WhenAll(_acceptLoops).ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_connections.Values).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _logger.LogWarning("{Count} SMTP connections still open at shutdown", _connections.Count);
        }
    }

    public async ValueTask DisposeAsync()
    {
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await StopAsync(grace.Token).ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync(SmtpListener listener)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException && _stopping.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException ex)
            {
                // Out of descriptors and the like: back off rather than spin.
                _logger.LogWarning(ex, "Accept failed on {Name}", listener.Options.Name);
                try
                {
                    await Task.Delay(100, _stopping.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                continue;
            }
            var connection = SmtpConnection.FromSocket(socket, listener.Options);
            var task = Task.Run(() => RunConnectionAsync(connection));
            _connections.TryAdd(connection.Id, task);
            _ = task.ContinueWith(t => _connections.TryRemove(connection.Id, out _), TaskScheduler.Default);
        }
    }

    private async Task RunConnectionAsync(SmtpConnection connection)
    {
        var client = connection.RemoteAddress ?? IPAddress.None;
        if (client.IsIPv4MappedToIPv6) client = client.MapToIPv4();
        if (!_limiter.TryAcquire(client, out bool perClient))
        {
            // On an implicit-TLS listener nothing is sent (see RefuseAsync); the line still names the reply it stands for.
            RefusalLog.Refused(_logger, _context.Refusals, RefusalKind.ConnectionLimit, client, connection.Listener.Name,
                SmtpReplies.TooManyConnections, "limit", perClient ? "per-client" : "total");
            await RefuseAsync(connection).ConfigureAwait(false);
            return;
        }
        SmtpServerMetrics.InboundConnections.Add(1);
        try
        {
            await _handler.HandleConnectionAsync(connection, _stopping.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "SMTP connection handler failed for {Client}", client);
        }
        finally
        {
            SmtpServerMetrics.InboundConnections.Add(-1);
            _limiter.Release(client);
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async Task RefuseAsync(SmtpConnection connection)
    {
        try
        {
            // On an implicit-TLS port a plain-text reply would be garbage to the client; just close.
            if (connection.Listener.Kind != SmtpListenerKind.ImplicitTls)
            {
                SmtpReplies.TooManyConnections.WriteTo(connection.Output);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await connection.Output.FlushAsync(timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client left first.
        }
        finally
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}
