namespace MtaCluster.Smtp.Client.Transactions;

public enum RecipientStatus
{
    /// <summary>The server took responsibility for this recipient (2xx after the end of data).</summary>
    Delivered,

    /// <summary>A 4xx reply, or the connection failed before a final reply: retry later.</summary>
    TransientFailure,

    /// <summary>A 5xx reply, remote or local (SIZE, SMTPUTF8, 8BITMIME): bounce.</summary>
    PermanentFailure,

    /// <summary>
    /// Not refused, just not carried this time: "452 too many recipients" (RFC 5321 §4.5.3.1.10),
    /// the local recipient limit, or a reused connection that turned out stale before MAIL was
    /// accepted. Send again in a new transaction without counting an attempt.
    /// </summary>
    TryAgain,
}
