namespace MtaCluster.Storage.Sqlite;

/// <summary>
/// Part of an operator's flush of a domain (at most <paramref name="limit"/> recipients), through the
/// single writer so it is ordered with the outcomes being recorded, and holds it only briefly.
/// </summary>
internal sealed class SqliteFlushDomainOperation(string domain, DateTimeOffset now, int limit) : SqliteWriteOperation
{
    /// <summary>Recipients made due, once the write has run.</summary>
    public int Moved { get; private set; }

    public override void Execute(SqliteSpoolWriter writer) =>
        Moved = writer.ExecuteStatement(SqliteSchema.FlushDomainPart, [("$domain", domain), ("$now", now.ToUnixTimeMilliseconds()), ("$limit", limit)]);
}
