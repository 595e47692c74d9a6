namespace MtaCluster.Smtp.Client.Connection;

/// <summary>Carries a failure from deep in the I/O code to the public method that turns it into a result.</summary>
internal sealed class SmtpConnectionException : Exception
{
    public SmtpConnectionException(SmtpFailure failure)
        : base(failure.Message, failure.Exception)
    {
        Failure = failure;
    }

    public SmtpFailure Failure { get; }
}
