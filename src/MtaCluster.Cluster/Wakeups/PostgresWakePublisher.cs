using MtaCluster.Storage;
using Npgsql;

namespace MtaCluster.Cluster.Wakeups;

/// <summary>
/// Sends a wake-up that is not part of a store write (a store write issues its own <c>pg_notify</c> in its
/// transaction, so it is told only after the commit). On a pooled connection: one short statement each.
/// </summary>
public sealed class PostgresWakePublisher : IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeSpan _timeout;

    public PostgresWakePublisher(string connectionString, TimeSpan? timeout = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        _dataSource = NpgsqlDataSource.Create(connectionString);
        _timeout = timeout ?? TimeSpan.FromSeconds(5);
    }

    public async Task PublishAsync(WakeNotification notification, CancellationToken cancellationToken = default)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(_timeout);
        await using var command = _dataSource.CreateCommand("SELECT pg_notify($1, $2)");
        command.Parameters.Add(new NpgsqlParameter { Value = WakeNotification.Channel });
        command.Parameters.Add(new NpgsqlParameter { Value = notification.ToPayload() });
        await command.ExecuteNonQueryAsync(bounded.Token);
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
