using Npgsql;

namespace MtaCluster.Storage.Postgres;

internal static class PostgresErrors
{
    /// <summary>
    /// True for errors that come from the data of one write (SQLSTATE class 22 data exception, 23
    /// integrity violation, or a value Npgsql refused before sending) rather than from the server,
    /// the connection or the disk.
    /// </summary>
    public static bool IsCausedByTheWrite(Exception exception) => exception switch
    {
        PostgresException postgres => postgres.SqlState.StartsWith("22", StringComparison.Ordinal) || postgres.SqlState.StartsWith("23", StringComparison.Ordinal),
        NpgsqlException or OperationCanceledException or TimeoutException or ObjectDisposedException => false,
        _ => exception is ArgumentException or InvalidCastException or OverflowException,
    };
}
