namespace MtaCluster.Smtp.Client.Transactions;

/// <summary>The NOTIFY parameter of RCPT (RFC 3461 §4.1). <see cref="Unspecified"/> sends no NOTIFY.</summary>
[Flags]
public enum DsnNotify
{
    Unspecified = 0,

    /// <summary>Exclusive of the others (RFC 3461 §4.1).</summary>
    Never = 1,
    Success = 2,
    Failure = 4,
    Delay = 8,
}
