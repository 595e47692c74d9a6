using MtaCluster.Mail;
namespace MtaCluster.Smtp.Client.Connection;

/// <summary>Why a connection could not be opened or broke off, for the delivery layer to classify.</summary>
public enum SmtpFailureKind
{
    /// <summary>TCP connection refused (RST): nothing listens.</summary>
    ConnectRefused,

    /// <summary>No TCP connection within <see cref="SmtpClientOptions.ConnectTimeout"/>.</summary>
    ConnectTimeout,

    /// <summary>Any other failure to connect: unreachable network or host, source address not available.</summary>
    ConnectFailed,

    /// <summary>The greeting was not 220 (RFC 5321 §3.1: 421 or 554); its reply says transient or permanent.</summary>
    GreetingRejected,

    /// <summary>EHLO and then HELO were refused; the reply says transient or permanent.</summary>
    HeloRejected,

    /// <summary>A reply or a write took longer than its RFC 5321 §4.5.3.2 limit.</summary>
    Timeout,

    /// <summary>The server closed or reset the connection.</summary>
    ConnectionDropped,

    /// <summary>The server replied 421 (RFC 5321 §3.8) and is closing the connection.</summary>
    ServiceClosing,

    /// <summary>The server sent something that is not SMTP, or data it should not have sent.</summary>
    ProtocolError,

    /// <summary><see cref="TlsPolicy.Required"/>, but STARTTLS was not offered or was refused (4.7.4).</summary>
    TlsNotAvailable,

    /// <summary><see cref="TlsPolicy.Required"/> and the handshake failed (4.7.5).</summary>
    TlsHandshakeFailed,

    /// <summary>
    /// <see cref="TlsPolicy.Opportunistic"/> and the handshake failed. The connection is gone (the
    /// TLS state is unknown after a failed handshake); connect again with <see cref="TlsPolicy.None"/>.
    /// </summary>
    OpportunisticTlsFailed,

    /// <summary>A transaction was started on a connection that had already failed or been closed.</summary>
    NotUsable,

    /// <summary>The caller's <c>BeforeEndOfData</c> said no: closed before the final dot, nothing delivered.</summary>
    Abandoned,
}
