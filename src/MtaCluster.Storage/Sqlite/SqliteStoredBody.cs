namespace MtaCluster.Storage.Sqlite;

/// <summary>A body left in the spool until it is read; the row is found again by message id, never by a rowid kept from earlier (rowids are reused).</summary>
internal sealed class SqliteStoredBody(SqliteQueueStore store, string messageId, long length) : StoredBody
{
    public override long Length => length;

    public override Task<Stream?> OpenReadAsync(CancellationToken cancellationToken = default) => store.OpenBodyAsync(messageId, cancellationToken);
}
