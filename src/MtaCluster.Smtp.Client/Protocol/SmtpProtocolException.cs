namespace MtaCluster.Smtp.Client.Protocol;

/// <summary>The server sent something that is not an SMTP reply (RFC 5321 §4.2).</summary>
internal sealed class SmtpProtocolException : Exception
{
    public SmtpProtocolException(string message)
        : base(message)
    {
    }
}
