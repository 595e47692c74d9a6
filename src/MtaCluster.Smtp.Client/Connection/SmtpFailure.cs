using MtaCluster.Mail;

namespace MtaCluster.Smtp.Client.Connection;

/// <summary>
/// A connection-level failure. <see cref="Reply"/> is what applies to the recipients affected: the
/// server's own reply when it gave one (a 421 greeting), otherwise a local one whose class says
/// whether to retry.
/// </summary>
public sealed class SmtpFailure
{
    public SmtpFailure(SmtpFailureKind kind, SmtpReply reply, string message, Exception? exception = null)
    {
        Kind = kind;
        Reply = reply;
        Message = message;
        Exception = exception;
    }

    public SmtpFailureKind Kind { get; }

    public SmtpReply Reply { get; }

    public string Message { get; }

    public Exception? Exception { get; }

    public bool IsTransient => !Reply.IsPermanent;

    /// <summary>True for <see cref="SmtpFailureKind.OpportunisticTlsFailed"/>: a new connection with <see cref="TlsPolicy.None"/> may succeed.</summary>
    public bool RetryWithoutTls => Kind == SmtpFailureKind.OpportunisticTlsFailed;

    public override string ToString() => $"{Kind}: {Message} ({Reply.ToLine()})";
}
