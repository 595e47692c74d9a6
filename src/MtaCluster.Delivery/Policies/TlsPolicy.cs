namespace MtaCluster.Delivery.Policies;

/// <summary>How outbound connections use STARTTLS (RFC 3207), as Postfix's <c>smtp_tls_security_level</c>.</summary>
public enum TlsPolicy
{
    /// <summary>Never issue STARTTLS.</summary>
    None,

    /// <summary>Use STARTTLS when offered, deliver in the clear otherwise (RFC 7435 opportunistic security).</summary>
    Opportunistic,

    /// <summary>Defer rather than deliver without TLS.</summary>
    Required,
}
