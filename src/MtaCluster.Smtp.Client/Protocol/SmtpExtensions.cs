using MtaCluster.Mail;

namespace MtaCluster.Smtp.Client.Protocol;

/// <summary>The EHLO keywords (RFC 5321 §4.1.1.1) this client acts on.</summary>
[Flags]
public enum SmtpExtensions
{
    None = 0,

    /// <summary>RFC 2920.</summary>
    Pipelining = 1 << 0,

    /// <summary>RFC 1870.</summary>
    Size = 1 << 1,

    /// <summary>RFC 6152.</summary>
    EightBitMime = 1 << 2,

    /// <summary>RFC 6531.</summary>
    SmtpUtf8 = 1 << 3,

    /// <summary>RFC 3461.</summary>
    Dsn = 1 << 4,

    /// <summary>RFC 3207.</summary>
    StartTls = 1 << 5,

    /// <summary>RFC 2034.</summary>
    EnhancedStatusCodes = 1 << 6,

    /// <summary>RFC 3030. Reported only: messages are sent with DATA.</summary>
    Chunking = 1 << 7,
}
