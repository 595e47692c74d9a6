namespace MtaCluster.Delivery.Lifecycle;

/// <summary>What happens to a message after its recipients are final, and to its sender while they are not.</summary>
public sealed class MessageLifecycleOptions
{
    /// <summary>The name in DSNs: Reporting-MTA and the MAILER-DAEMON address they come from.</summary>
    public string ReportingMta { get; set; } = "localhost";

    /// <summary>How long a finished message stays in the spool after its DSN is queued (0: removed at once).</summary>
    public TimeSpan RetainFinishedMessages { get; set; } = TimeSpan.Zero;

    /// <summary>A recipient deferred this long since it was queued gets one delay notice per such interval.</summary>
    public TimeSpan DelayNoticeAfter { get; set; } = TimeSpan.FromHours(4);

    /// <summary>How often the store is read for complete messages nobody finished (after a crash, a lost wake-up) and for retention that ran out.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Messages finished per sweep query.</summary>
    public int SweepPageSize { get; set; } = 1000;
}
