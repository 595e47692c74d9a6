namespace MtaCluster.Smtp.Server;

/// <summary>
/// What a refusal was for. Each kind has a log budget of its own, so a flood of one (an open-relay probe)
/// cannot hide the first lines of another (a brute force on AUTH).
/// </summary>
public enum RefusalKind
{
    /// <summary>554 5.7.1: a relay recipient from a client that is neither trusted nor authenticated.</summary>
    RelayDenied,

    /// <summary>530 5.7.0: MAIL before AUTH where AUTH is required.</summary>
    AuthRequired,

    /// <summary>535 5.7.8: credentials that did not match.</summary>
    AuthFailed,

    /// <summary>421 4.7.0 at the greeting: the per-client or the total connection limit.</summary>
    ConnectionLimit,

    /// <summary>421 4.7.0 and close: too many bad commands or failed AUTH attempts in one session.</summary>
    TooManyErrors,

    /// <summary>552 5.3.4: a body over the maximum message size.</summary>
    MessageTooBig,

    /// <summary>
    /// Input a smuggling attempt is made of: bare CR or LF and NUL in a body (550 5.6.x) or a command
    /// (500 5.5.2), and data pipelined before the 354 or the greeting (554 5.5.0).
    /// </summary>
    MalformedInput,

    /// <summary>452 4.3.1: the spool is short of free space.</summary>
    SpoolFull,
}

internal static class RefusalKindNames
{
    /// <summary>The kind as it appears in log lines.</summary>
    public static string ToName(this RefusalKind kind) => kind switch
    {
        RefusalKind.RelayDenied => "relay-denied",
        RefusalKind.AuthRequired => "auth-required",
        RefusalKind.AuthFailed => "auth-failed",
        RefusalKind.ConnectionLimit => "connection-limit",
        RefusalKind.TooManyErrors => "too-many-errors",
        RefusalKind.MessageTooBig => "message-too-big",
        RefusalKind.MalformedInput => "malformed-input",
        RefusalKind.SpoolFull => "spool-full",
        _ => kind.ToString(),
    };

    public const int Count = (int)RefusalKind.SpoolFull + 1;
}
