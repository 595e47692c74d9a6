namespace MtaCluster.Smtp.Server;

public enum SmtpListenerKind
{
    /// <summary>Plain SMTP for clients in the trusted networks (STARTTLS offered when a certificate exists).</summary>
    Relay,

    /// <summary>RFC 6409 message submission: STARTTLS, then AUTH, before MAIL.</summary>
    Submission,

    /// <summary>RFC 8314 submission over implicit TLS.</summary>
    ImplicitTls,
}
