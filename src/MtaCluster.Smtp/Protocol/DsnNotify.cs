namespace MtaCluster.Smtp.Protocol;

/// <summary>The RCPT NOTIFY parameter of RFC 3461 §4.1; <see cref="None"/> means the client sent none.</summary>
[Flags]
public enum DsnNotify
{
    None = 0,
    Never = 1,
    Success = 2,
    Failure = 4,
    Delay = 8,
}
