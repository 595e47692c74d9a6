namespace MtaCluster.Storage.Sqlite;

/// <summary>Files a domain's pending recipients under another shard (a changed placement, at start), through the single writer.</summary>
internal sealed class SqliteRefileDomainOperation(string domain, int shard) : SqliteWriteOperation
{
    /// <summary>Rows moved, once the write has run.</summary>
    public int Moved { get; private set; }

    public override void Execute(SqliteSpoolWriter writer) =>
        Moved = writer.ExecuteStatement(SqliteSchema.RefileDomain, [("$domain", domain), ("$shard", shard)]);
}
