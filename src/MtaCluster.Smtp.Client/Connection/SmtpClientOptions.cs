using System.Net.Security;
using System.Security.Authentication;
using MtaCluster.Mail;

namespace MtaCluster.Smtp.Client.Connection;

/// <summary>
/// Timeouts default to RFC 5321 §4.5.3.2; the others follow Postfix's smtp(8) where the RFC is
/// silent. One instance can serve every connection of a pool; it is read, never written, by them.
/// </summary>
public sealed class SmtpClientOptions
{
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>RFC 5321 §4.5.3.2.1: initial 220 message, 5 minutes.</summary>
    public TimeSpan GreetingTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>EHLO/HELO and the STARTTLS reply; RFC 5321 leaves it open, Postfix's smtp_helo_timeout is 5 minutes.</summary>
    public TimeSpan EhloTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The TLS handshake; Postfix's smtp_starttls_timeout is 5 minutes.</summary>
    public TimeSpan TlsHandshakeTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>RFC 5321 §4.5.3.2.2: 5 minutes.</summary>
    public TimeSpan MailTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>RFC 5321 §4.5.3.2.3: 5 minutes.</summary>
    public TimeSpan RcptTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>RFC 5321 §4.5.3.2.4: waiting for 354, 2 minutes.</summary>
    public TimeSpan DataInitiationTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>RFC 5321 §4.5.3.2.5: each write of the message data, 3 minutes.</summary>
    public TimeSpan DataBlockTimeout { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>RFC 5321 §4.5.3.2.6: the reply after ".", 10 minutes.</summary>
    public TimeSpan DataTerminationTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>RSET between transactions; Postfix's smtp_rset_timeout is 20 s.</summary>
    public TimeSpan RsetTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// QUIT, also on dispose. Nothing depends on its reply, so it is kept short rather than
    /// Postfix's 5 minutes.
    /// </summary>
    public TimeSpan QuitTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public TlsPolicy TlsPolicy { get; set; } = TlsPolicy.Opportunistic;

    /// <summary><see cref="SslProtocols.None"/> lets the operating system choose (TLS 1.2 and 1.3 here).</summary>
    public SslProtocols EnabledSslProtocols { get; set; } = SslProtocols.None;

    /// <summary>
    /// Null accepts any certificate, as opportunistic TLS must (RFC 7435 §3, RFC 3207 §4.1:
    /// an unauthenticated TLS connection beats clear text). Set it to authenticate, e.g. for
    /// MTA-STS or DANE policies.
    /// </summary>
    public RemoteCertificateValidationCallback? CertificateValidation { get; set; }

    /// <summary>
    /// Recipients beyond this in one transaction are reported <c>TryAgain</c> without being sent;
    /// RFC 5321 §4.5.3.1.8 obliges servers to take 100.
    /// </summary>
    public int MaxRecipientsPerTransaction { get; set; } = 100;

    /// <summary>Use PIPELINING (RFC 2920) when offered.</summary>
    public bool UsePipelining { get; set; } = true;

    /// <summary>A longer multi-line reply is a protocol error (EHLO replies are the longest in practice).</summary>
    public int MaxReplyLength { get; set; } = 64 * 1024;

    /// <summary>How much message data is buffered before it is written to the network (one data block of §4.5.3.2.5).</summary>
    public int DataFlushThreshold { get; set; } = 64 * 1024;

    /// <summary>A copy to change for one destination (its TLS policy, its recipients per transaction) without touching the shared one.</summary>
    public SmtpClientOptions Clone() => (SmtpClientOptions)MemberwiseClone();
}
