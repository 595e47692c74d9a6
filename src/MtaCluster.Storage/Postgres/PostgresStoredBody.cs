namespace MtaCluster.Storage.Postgres;

/// <summary>A body left in the spool until it is read; the row is found again by message id.</summary>
internal sealed class PostgresStoredBody(PostgresQueueStore store, string messageId, long length) : StoredBody
{
    public override long Length => length;

    public override Task<Stream?> OpenReadAsync(CancellationToken cancellationToken = default) => store.OpenBodyAsync(messageId, cancellationToken);
}
