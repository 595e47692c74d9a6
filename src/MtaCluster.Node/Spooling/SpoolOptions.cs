namespace MtaCluster.Node.Spooling;

/// <summary>The "Spool" section of node.yaml.</summary>
public sealed class SpoolOptions
{
    public const string Section = "Spool";

    /// <summary>
    /// Below this much free space on the spool's volume new mail is refused at MAIL (452 4.3.1),
    /// before the client sends its message. Not set: the larger of 1 GiB and 5% of the volume.
    /// </summary>
    public long? MinFreeBytes { get; set; }

    /// <summary>How often the free space of the spool's volume is read (one statvfs call).</summary>
    public TimeSpan FreeSpaceCheckInterval { get; set; } = TimeSpan.FromSeconds(5);
}
