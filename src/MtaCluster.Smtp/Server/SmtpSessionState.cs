namespace MtaCluster.Smtp.Server;

/// <summary>Where an SMTP session is in the dialogue (RFC 5321 §3.3, RFC 3030 §2).</summary>
public enum SmtpSessionState
{
    Connected,
    Greeted,
    MailFrom,
    RcptTo,
    Data,
    Bdat,
}
