namespace MtaCluster.Smtp.Protocol;

/// <summary>
/// The one way a parser or a command handler rejects input: it carries the reply the client gets.
/// </summary>
public sealed class SmtpProtocolException : Exception
{
    public SmtpProtocolException(SmtpReply reply) : base(reply.ToString()) => Reply = reply;

    public SmtpProtocolException(int code, string enhancedStatus, string text)
        : this(new SmtpReply(code, enhancedStatus, text))
    {
    }

    public SmtpReply Reply { get; }
}
