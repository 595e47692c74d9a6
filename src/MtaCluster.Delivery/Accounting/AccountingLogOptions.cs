namespace MtaCluster.Delivery.Accounting;

/// <summary>Where and how the accounting log is written.</summary>
public sealed class AccountingLogOptions
{
    /// <summary>The directory for log files, typically <c>accounting</c> under the node's data directory.</summary>
    public string Directory { get; set; } = Path.Combine("data", "accounting");

    /// <summary>File names are <c>{prefix}-yyyyMMdd-HHmmss.jsonl</c> (UTC, the time the file was opened).</summary>
    public string FilePrefix { get; set; } = "acct";

    /// <summary>Start a new file once the current one reaches this size; 0 turns size rotation off.</summary>
    public long MaxFileBytes { get; set; } = 100L * 1024 * 1024;

    /// <summary>
    /// Start a new file at each multiple of this interval (UTC, aligned like PowerMTA's <c>move-interval</c>,
    /// so hourly files change on the hour); null turns time rotation off.
    /// </summary>
    public TimeSpan? RotateInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Buffered lines reach the file at least this often.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Also a <c>received</c> line per recipient of each accepted message (PowerMTA's optional receipt
    /// records). Off by default: it doubles the lines of a log that is mostly deliveries. The live
    /// event stream (pbm mta events tail) carries them whatever this says, while someone listens.
    /// </summary>
    public bool RecordReceived { get; set; }
}
