namespace MtaCluster.Storage.Sqlite;

/// <summary>An operator's flush of a domain, through the single writer so it is ordered with the outcomes being recorded.</summary>
internal sealed class SqliteFlushDomainOperation(string domain, DateTimeOffset now) : SqliteWriteOperation
{
    /// <summary>Recipients made due, once the write has run.</summary>
    public int Moved { get; private set; }

    public override void Execute(SqliteSpoolWriter writer) =>
        Moved = writer.ExecuteStatement(SqliteSchema.FlushDomain, [("$domain", domain), ("$now", now.ToUnixTimeMilliseconds())]);
}
