namespace MtaCluster.Mail;

/// <summary>
/// When an outbound connection uses STARTTLS (RFC 3207), in the sense of Postfix's
/// <c>smtp_tls_security_level</c> none / may / encrypt.
/// </summary>
public enum TlsPolicy
{
    /// <summary>Never issue STARTTLS, even when offered.</summary>
    None,

    /// <summary>
    /// STARTTLS when offered, without authenticating the certificate (RFC 7435 opportunistic
    /// security); in clear otherwise. A failed handshake is retried in clear on a new connection.
    /// </summary>
    Opportunistic,

    /// <summary>Always: no STARTTLS (4.7.4) or a failed handshake (4.7.5) defers rather than delivers in clear.</summary>
    Required,
}
