namespace MtaCluster.Smtp.Protocol;

public enum SmtpCommandKind
{
    Unknown,
    Helo,
    Ehlo,
    Mail,
    Rcpt,
    Data,
    Bdat,
    Rset,
    Noop,
    Quit,
    Vrfy,
    Expn,
    Help,
    StartTls,
    Auth,
}
