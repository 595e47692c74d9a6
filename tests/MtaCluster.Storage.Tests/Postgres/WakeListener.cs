using System.Collections.Concurrent;
using Npgsql;

namespace MtaCluster.Storage.Tests.Postgres;

/// <summary>A raw <c>LISTEN</c> on the wake-up channel, collecting every payload delivered to it.</summary>
internal sealed class WakeListener : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<string> _payloads = new();
    private Task? _loop;

    private WakeListener(string connectionString) => _connection = new NpgsqlConnection(connectionString);

    public IReadOnlyList<string> Payloads => [.. _payloads];

    public static async Task<WakeListener> StartAsync(string connectionString)
    {
        var listener = new WakeListener(connectionString);
        await listener._connection.OpenAsync();
        listener._connection.Notification += (_, e) =>
        {
            if (e.Channel == WakeNotification.Channel) listener._payloads.Enqueue(e.Payload);
        };
        await using (var listen = new NpgsqlCommand($"LISTEN {WakeNotification.Channel}", listener._connection))
            await listen.ExecuteNonQueryAsync();
        listener._loop = listener.RunAsync();
        return listener;
    }

    private async Task RunAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
                await _connection.WaitAsync(_stop.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null) await _loop;
        await _connection.DisposeAsync();
        _stop.Dispose();
    }
}
