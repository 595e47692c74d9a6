using System.Net;
using Microsoft.Extensions.Logging;
using MtaCluster.Smtp.Auth;
using MtaCluster.Smtp.Server;
using MtaCluster.Smtp.Spool;

namespace MtaCluster.Smtp.Tests.TestSupport;

/// <summary>An SMTP session over in-memory pipes with a fake spool, and the client end to talk to it.</summary>
public sealed class SessionHarness : IAsyncDisposable
{
    public static readonly IPAddress TrustedClient = IPAddress.Loopback;
    public static readonly IPAddress UntrustedClient = IPAddress.Parse("192.0.2.10");

    private readonly CancellationTokenSource _shutdown = new();

    private SessionHarness(SmtpServerOptions options, SmtpListenerOptions listener, IPAddress client, IUserAuthenticator? authenticator,
        ISpoolCapacity? capacity, SmtpServerContext? context, ILoggerFactory? loggerFactory)
    {
        Options = options;
        Transport = new InMemoryTransport(client);
        Context = context ?? new SmtpServerContext(options, Spool, authenticator, certificate: null, loggerFactory, capacity: capacity);
        Session = new SmtpSession(Transport, listener, Context);
        Client = new TestClient(Transport.ClientInput, Transport.ClientOutput);
        Run = Task.Run(() => Session.RunAsync(_shutdown.Token));
    }

    public SmtpServerOptions Options { get; }

    public FakeSpool Spool { get; } = new();

    public InMemoryTransport Transport { get; }

    public SmtpServerContext Context { get; }

    public SmtpSession Session { get; }

    public TestClient Client { get; }

    public Task Run { get; }

    public static SessionHarness Start(
        Action<SmtpServerOptions>? configure = null,
        SmtpListenerKind kind = SmtpListenerKind.Relay,
        IPAddress? client = null,
        IUserAuthenticator? authenticator = null,
        bool? requireAuth = null,
        ISpoolCapacity? capacity = null,
        ILoggerFactory? loggerFactory = null,
        SmtpServerContext? context = null)
    {
        var options = context?.Options ?? new SmtpServerOptions { HostName = "mx.test" };
        configure?.Invoke(options);
        var listener = new SmtpListenerOptions { Name = kind.ToString().ToLowerInvariant(), Kind = kind, Port = 0, RequireAuth = requireAuth };
        return new SessionHarness(options, listener, client ?? TrustedClient, authenticator, capacity, context, loggerFactory);
    }

    /// <summary>Reads the greeting and says EHLO; returns the EHLO reply.</summary>
    public async Task<string> GreetAsync(string name = "client.test")
    {
        var greeting = await Client.ReadReplyAsync();
        Assert.StartsWith("220 mx.test", greeting);
        return await Client.CommandAsync("EHLO " + name);
    }

    /// <summary>Greets, and opens a transaction with one recipient.</summary>
    public async Task OpenTransactionAsync(string mailParameters = "")
    {
        await GreetAsync();
        Assert.StartsWith("250 2.1.0", await Client.CommandAsync("MAIL FROM:<sender@example.com>" + mailParameters));
        Assert.StartsWith("250 2.1.5", await Client.CommandAsync("RCPT TO:<rcpt@example.net>"));
    }

    public async Task<bool> EndsWithinAsync(TimeSpan timeout)
    {
        var finished = await Task.WhenAny(Run, Task.Delay(timeout));
        return finished == Run;
    }

    public void Shutdown() => _shutdown.Cancel();

    public async ValueTask DisposeAsync()
    {
        await _shutdown.CancelAsync();
        await Task.WhenAny(Run, Task.Delay(5000));
        await Client.DisposeAsync();
        _shutdown.Dispose();
    }
}
