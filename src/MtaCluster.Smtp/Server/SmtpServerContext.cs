using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MtaCluster.Smtp.Auth;
using MtaCluster.Smtp.Protocol;
using MtaCluster.Smtp.Spool;

namespace MtaCluster.Smtp.Server;

/// <summary>What every SMTP session on a node shares: options, the spool, the authenticator, the certificate.</summary>
public sealed class SmtpServerContext
{
    public SmtpServerContext(
        SmtpServerOptions options,
        IMessageSpool spool,
        IUserAuthenticator? authenticator = null,
        X509Certificate2? certificate = null,
        ILoggerFactory? loggerFactory = null,
        TimeProvider? timeProvider = null,
        ISpoolCapacity? capacity = null)
    {
        Options = options;
        Spool = spool;
        Capacity = capacity;
        Authenticator = authenticator;
        Certificate = certificate;
        LoggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        TimeProvider = timeProvider ?? TimeProvider.System;
        HostName = options.EffectiveHostName();
        TrustedNetworks = new TrustedNetworks(options.TrustedNetworks);
        Refusals = new RefusalLogLimiter(options.RefusalLogLinesPerSecond, TimeProvider);
        Greeting = new EncodedReply(220, null, HostName + " ESMTP MtaCluster");
        HeloReply = new EncodedReply(250, null, HostName);
        _ehloKeywords = new byte[4][];
        for (int i = 0; i < _ehloKeywords.Length; i++)
            _ehloKeywords[i] = EncodeEhloKeywords(offerStartTls: (i & 1) != 0, offerAuth: (i & 2) != 0);
    }

    // Every connection sends a greeting and an EHLO reply; only the EHLO's first line differs between
    // them, so the rest is encoded once here rather than rebuilt (a list, a string builder and an
    // encoder pass) for each of them.
    private readonly byte[][] _ehloKeywords;

    internal EncodedReply Greeting { get; }

    internal EncodedReply HeloReply { get; }

    /// <summary>The EHLO reply after its first line: the keyword lines, the last one final.</summary>
    internal ReadOnlySpan<byte> EhloKeywords(bool offerStartTls, bool offerAuth) =>
        _ehloKeywords[(offerStartTls ? 1 : 0) | (offerAuth ? 2 : 0)];

    private byte[] EncodeEhloKeywords(bool offerStartTls, bool offerAuth)
    {
        var keywords = new List<string>(9)
        {
            "PIPELINING",
            "SIZE " + Options.MaxMessageSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "8BITMIME",
            "SMTPUTF8",
            "ENHANCEDSTATUSCODES",
            "CHUNKING",
            "DSN",
        };
        if (offerStartTls) keywords.Add("STARTTLS");
        if (offerAuth) keywords.Add("AUTH PLAIN LOGIN");
        var text = new System.Text.StringBuilder();
        for (int i = 0; i < keywords.Count; i++)
            text.Append("250").Append(i == keywords.Count - 1 ? ' ' : '-').Append(keywords[i]).Append("\r\n");
        return System.Text.Encoding.ASCII.GetBytes(text.ToString());
    }

    public SmtpServerOptions Options { get; }

    public IMessageSpool Spool { get; }

    /// <summary>Whether the spool has room for new mail; null: always assumed to have room.</summary>
    public ISpoolCapacity? Capacity { get; }

    public IUserAuthenticator? Authenticator { get; }

    /// <summary>Null: no STARTTLS and no implicit-TLS listener can work.</summary>
    public X509Certificate2? Certificate { get; }

    public ILoggerFactory LoggerFactory { get; }

    public TimeProvider TimeProvider { get; }

    public string HostName { get; }

    public TrustedNetworks TrustedNetworks { get; }

    /// <summary>The log budget for refusals, shared by every session and the listeners.</summary>
    public RefusalLogLimiter Refusals { get; }

    public SslServerAuthenticationOptions CreateTlsOptions() => new()
    {
        ServerCertificate = Certificate ?? throw new InvalidOperationException("No TLS certificate is configured."),
        ClientCertificateRequired = false,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
    };
}
