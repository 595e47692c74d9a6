namespace MtaCluster.Smtp.Server;

/// <summary>Handling of message content that may not be passed on as it came.</summary>
public sealed class SmtpContentOptions
{
    /// <summary>
    /// NUL is not allowed in 7bit or 8bit content (RFC 2045 §2.7–2.8, RFC 5322 §2.1), and a receiver that
    /// drops it can read &lt;CRLF&gt;&lt;NUL&gt;.&lt;CRLF&gt; as the end of data. False (the default) refuses such a
    /// message with 550 5.6.0 once its DATA or BDAT has been read; true accepts it with the NULs removed.
    /// </summary>
    public bool StripNul { get; set; }
}
