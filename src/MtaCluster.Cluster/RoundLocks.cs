using Npgsql;

namespace MtaCluster.Cluster;

/// <summary>
/// Bounds how long a membership round's transaction waits for a row lock. The rows a round locks are
/// held by others only for a statement or two, unless their holder stopped running mid-transaction (a
/// frozen node, until the server ends its session): a round then gives up and the next beat tries
/// again, rather than stall past this node's own leases.
/// </summary>
internal static class RoundLocks
{
    public static async Task LimitWaitAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // SET takes no parameters; set_config does, and is_local = true scopes it to the transaction.
        await using var command = new NpgsqlCommand("SELECT set_config('lock_timeout', $1, true)", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = $"{Math.Max(1, (long)timeout.TotalMilliseconds)}ms" });
        await command.ExecuteScalarAsync(cancellationToken);
    }
}
