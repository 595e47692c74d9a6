using MtaCluster.Mail;

namespace MtaCluster.Smtp.Protocol;

/// <summary>
/// The one way a parser or a command handler rejects input: it carries the reply the client gets.
/// </summary>
public sealed class SmtpProtocolException : Exception
{
    public SmtpProtocolException(EncodedReply reply) : base(reply.ToString()) => Reply = reply;

    public SmtpProtocolException(int code, EnhancedStatusCode enhancedCode, string text)
        : this(new EncodedReply(code, enhancedCode, text))
    {
    }

    public EncodedReply Reply { get; }
}
