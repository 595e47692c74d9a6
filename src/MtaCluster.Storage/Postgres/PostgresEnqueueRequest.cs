namespace MtaCluster.Storage.Postgres;

/// <summary>
/// One caller's message, waiting for the writer.
/// </summary>
internal sealed class PostgresEnqueueRequest(SpoolMessage message) : PendingWrite
{
    public SpoolMessage Message { get; } = message;
}
