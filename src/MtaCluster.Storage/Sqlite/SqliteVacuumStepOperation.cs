namespace MtaCluster.Storage.Sqlite;

/// <summary>
/// One small step of <c>PRAGMA incremental_vacuum</c>: moves up to a few pages from the end of the
/// file into free ones and truncates, in a transaction of its own, so a commit queued behind it waits
/// for a few pages' worth of writes, never for the whole free list.
/// </summary>
internal sealed class SqliteVacuumStepOperation(int maxPages) : SqliteWriteOperation
{
    public override bool RunsAlone => true;

    /// <summary>Free pages handed back by this step.</summary>
    public long Reclaimed { get; private set; }

    /// <summary>Free pages left after it.</summary>
    public long Remaining { get; private set; }

    public override void Execute(SqliteSpoolWriter writer)
    {
        var before = writer.FreePages();
        if (before > 0)
            writer.ExecuteStatement($"PRAGMA incremental_vacuum({maxPages})", []);
        Remaining = writer.FreePages();
        Reclaimed = before - Remaining;
    }
}
