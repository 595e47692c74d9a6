namespace MtaCluster.Smtp.Client.Connection;

/// <summary>When to use STARTTLS (RFC 3207).</summary>
public enum TlsPolicy
{
    /// <summary>Never, even when offered.</summary>
    None,

    /// <summary>
    /// When offered, without authenticating the certificate (RFC 7435 opportunistic security). A
    /// failed handshake ends the connection with <see cref="SmtpFailureKind.OpportunisticTlsFailed"/>:
    /// connect again with <see cref="None"/> to deliver in clear.
    /// </summary>
    Opportunistic,

    /// <summary>
    /// Always; no STARTTLS (4.7.4) or a failed handshake (4.7.5) is a temporary failure. The
    /// certificate is checked only by <see cref="SmtpClientOptions.CertificateValidation"/>.
    /// </summary>
    Required,
}
