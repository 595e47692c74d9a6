namespace MtaCluster.Smtp.Server;

public enum SmtpListenerKind
{
    /// <summary>
    /// Plain SMTP for clients in the trusted networks (STARTTLS offered when a certificate exists); others
    /// need AUTH to relay. No AUTH is demanded unless the listener sets RequireAuth.
    /// </summary>
    Relay,

    /// <summary>RFC 6409 message submission: STARTTLS, then AUTH, before MAIL, from every client by default.</summary>
    Submission,

    /// <summary>RFC 8314 submission over implicit TLS.</summary>
    ImplicitTls,
}
