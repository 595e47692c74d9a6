namespace MtaCluster.Node.Spooling;

/// <summary>The "Spool" section of node.yaml.</summary>
public sealed class SpoolOptions
{
    public const string Section = "Spool";

    /// <summary>
    /// Where the spool lives: <see cref="SpoolProvider.Sqlite"/>, a file in the data directory for a
    /// node of its own, or <see cref="SpoolProvider.PostgreSql"/>, one database the nodes of a cluster share
    /// (it is also their lease arbiter and wake-up bus).
    /// </summary>
    public SpoolProvider Provider { get; set; } = SpoolProvider.Sqlite;

    /// <summary>The database of a PostgreSql spool, in Npgsql's keywords (Host, Port, Username, Password, Database); required with it, ignored otherwise.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// Below this much free space on the spool's volume new mail is refused at MAIL (452 4.3.1),
    /// before the client sends its message. Not set: the larger of 1 GiB and 5% of the volume.
    /// </summary>
    public long? MinFreeBytes { get; set; }

    /// <summary>How often the free space of the spool's volume is read (one statvfs call).</summary>
    public TimeSpan FreeSpaceCheckInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a finished message (every recipient final, its DSN queued) stays in the spool; 0 removes it at once.</summary>
    public TimeSpan RetainFinishedMessages { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// How often the spool is read for complete messages nobody finished (after a crash) and for
    /// retention that ran out. (Free pages are handed back by the spool itself whenever it is quiet.)
    /// </summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(1);
}
