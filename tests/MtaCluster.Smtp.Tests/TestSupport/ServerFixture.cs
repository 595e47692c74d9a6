using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using MtaCluster.Smtp.Auth;
using MtaCluster.Smtp.Server;

namespace MtaCluster.Smtp.Tests.TestSupport;

/// <summary>
/// A real <see cref="SmtpServer"/> on free loopback ports (relay, submission, implicit TLS) with a
/// self-signed certificate and one AUTH user, alice / secret.
/// </summary>
public sealed class ServerFixture : IAsyncDisposable
{
    public const string User = "alice";
    public const string Password = "s3cret!";

    private static readonly Lazy<X509Certificate2> SharedCertificate = new(() =>
        X509CertificateLoader.LoadPkcs12(TlsCertificateProvider.CreateSelfSigned("mx.test"), null));

    private ServerFixture(SmtpServerOptions options, ILoggerFactory? loggerFactory)
    {
        Options = options;
        var auth = new SmtpAuthOptions();
        // Few iterations: the format and the comparison are under test here, not the work factor.
        auth.Users[User] = PasswordHasher.Hash(Password, 1000);
        Context = new SmtpServerContext(options, Spool, new ConfiguredUserAuthenticator(auth), SharedCertificate.Value, loggerFactory);
        Server = new SmtpServer(Context);
    }

    public SmtpServerOptions Options { get; }

    public FakeSpool Spool { get; } = new();

    public SmtpServerContext Context { get; }

    public SmtpServer Server { get; }

    public IPEndPoint Relay => Server.Listeners.Single(l => l.Options.Kind == SmtpListenerKind.Relay).LocalEndPoint;

    public IPEndPoint Submission => Server.Listeners.Single(l => l.Options.Kind == SmtpListenerKind.Submission).LocalEndPoint;

    public IPEndPoint ImplicitTls => Server.Listeners.Single(l => l.Options.Kind == SmtpListenerKind.ImplicitTls).LocalEndPoint;

    public static async Task<ServerFixture> StartAsync(Action<SmtpServerOptions>? configure = null, ILoggerFactory? loggerFactory = null)
    {
        var options = new SmtpServerOptions { HostName = "mx.test" };
        // The three default listeners, moved to free loopback ports.
        foreach (var listener in options.Listeners.Values)
        {
            listener.Address = "127.0.0.1";
            listener.Port = 0;
        }
        configure?.Invoke(options);
        var fixture = new ServerFixture(options, loggerFactory);
        await fixture.Server.StartAsync();
        return fixture;
    }

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}
