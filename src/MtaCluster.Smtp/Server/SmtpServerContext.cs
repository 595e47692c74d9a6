using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MtaCluster.Smtp.Auth;
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
        TimeProvider? timeProvider = null)
    {
        Options = options;
        Spool = spool;
        Authenticator = authenticator;
        Certificate = certificate;
        LoggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        TimeProvider = timeProvider ?? TimeProvider.System;
        HostName = options.EffectiveHostName();
        TrustedNetworks = new TrustedNetworks(options.TrustedNetworks);
    }

    public SmtpServerOptions Options { get; }

    public IMessageSpool Spool { get; }

    public IUserAuthenticator? Authenticator { get; }

    /// <summary>Null: no STARTTLS and no implicit-TLS listener can work.</summary>
    public X509Certificate2? Certificate { get; }

    public ILoggerFactory LoggerFactory { get; }

    public TimeProvider TimeProvider { get; }

    public string HostName { get; }

    public TrustedNetworks TrustedNetworks { get; }

    public SslServerAuthenticationOptions CreateTlsOptions() => new()
    {
        ServerCertificate = Certificate ?? throw new InvalidOperationException("No TLS certificate is configured."),
        ClientCertificateRequired = false,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
    };
}
