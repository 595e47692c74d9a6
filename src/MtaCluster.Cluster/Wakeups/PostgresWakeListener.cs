using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MtaCluster.Storage;
using Npgsql;

namespace MtaCluster.Cluster.Wakeups;

/// <summary>
/// The receiving end of the wake-up bus: one dedicated connection (outside the pool: a LISTEN belongs to
/// its session) that <c>LISTEN</c>s on <see cref="WakeNotification.Channel"/> and waits. It reconnects by
/// itself, with backoff, when the server goes away; wake-ups sent meanwhile are lost, which costs only
/// latency (owners scan their shards periodically), and <see cref="Listening"/> is raised on each
/// (re)connection so an owner can scan at once. The callback runs on the listener's loop: keep it short.
/// </summary>
public sealed class PostgresWakeListener : IAsyncDisposable
{
    private readonly PostgresWakeListenerOptions _options;
    private readonly Action<WakeNotification> _onWake;
    private readonly ILogger _logger;
    private readonly string _connectionString;
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private int _connections;

    public PostgresWakeListener(PostgresWakeListenerOptions options, Action<WakeNotification> onWake, ILogger<PostgresWakeListener>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(onWake);
        _options = options;
        _onWake = onWake;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        int seconds = Math.Max(1, (int)Math.Ceiling(options.CommandTimeout.TotalSeconds));
        _connectionString = new NpgsqlConnectionStringBuilder(options.ConnectionString)
        {
            Pooling = false,
            Timeout = seconds,
            CommandTimeout = seconds,
        }.ConnectionString;
    }

    /// <summary>Raised after each successful LISTEN (the first connection and every reconnection).</summary>
    public event Action? Listening;

    /// <summary>How many times the listener has connected and issued LISTEN.</summary>
    public int Connections => Volatile.Read(ref _connections);

    public void Start() => _loop = Task.Run(RunAsync, CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        var stop = _stop.Token;
        var delay = _options.MinReconnectDelay;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await ListenAsync(() => delay = _options.MinReconnectDelay, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                _logger.LogWarning(exception, "Wake-up listener lost its connection; reconnecting in {Delay}", delay);
            }

            try
            {
                await Task.Delay(delay, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxReconnectDelay.Ticks));
        }
    }

    private async Task ListenAsync(Action connected, CancellationToken stop)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        connection.Notification += OnNotification;
        using (var bounded = CancellationTokenSource.CreateLinkedTokenSource(stop))
        {
            bounded.CancelAfter(_options.CommandTimeout);
            await connection.OpenAsync(bounded.Token);
            await using var listen = new NpgsqlCommand($"LISTEN {WakeNotification.Channel}", connection);
            await listen.ExecuteNonQueryAsync(bounded.Token);
        }

        connected();
        Interlocked.Increment(ref _connections);
        _logger.LogDebug("Listening for wake-ups on {Channel}", WakeNotification.Channel);
        Listening?.Invoke();

        while (true)
        {
            // WaitAsync raises Notification for what arrives; false after the idle interval, when a ping tells a
            // dead server (no FIN seen, e.g. a host gone) from a quiet one.
            if (await connection.WaitAsync(_options.IdleCheckInterval, stop)) continue;
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(stop);
            bounded.CancelAfter(_options.CommandTimeout);
            await using var ping = new NpgsqlCommand("SELECT 1", connection);
            await ping.ExecuteScalarAsync(bounded.Token);
        }
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs args)
    {
        if (!WakeNotification.TryParse(args.Payload, out var notification))
        {
            _logger.LogWarning("Ignored a malformed wake-up payload on {Channel}", args.Channel);
            return;
        }

        try
        {
            _onWake(notification);
        }
        catch (Exception exception)
        {
            _logger.LogError(exception, "A wake-up handler failed for {Type} {Entity}", notification.EntityType, notification.EntityId);
        }
    }
}
