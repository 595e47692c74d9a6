namespace MtaCluster.Mail;

/// <summary>
/// The NOTIFY parameter of RCPT (RFC 3461 §4.1), as MimeKit's <c>DeliveryStatusNotification</c> flags.
/// </summary>
/// <remarks>
/// <see cref="NotGiven"/> (no NOTIFY at all, which RFC 3461 §4.1 says to treat as FAILURE,DELAY) is
/// not <see cref="Never"/> (NOTIFY=NEVER: no DSN whatever happens); the two must survive relaying
/// as they came. The numeric values are not a wire or storage format: the spool maps them explicitly.
/// </remarks>
[Flags]
public enum DsnNotify
{
    /// <summary>The client sent no NOTIFY parameter; relaying sends none either.</summary>
    NotGiven = 0,

    /// <summary>NOTIFY=NEVER, exclusive of the others (RFC 3461 §4.1).</summary>
    Never = 1,

    Success = 2,

    Failure = 4,

    Delay = 8,
}
