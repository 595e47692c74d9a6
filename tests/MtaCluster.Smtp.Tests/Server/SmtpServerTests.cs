using System.Net;
using MtaCluster.Smtp.Server;
using MtaCluster.Smtp.Tests.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace MtaCluster.Smtp.Tests.Server;

public class SmtpServerTests
{
    [Fact]
    public async Task Connections_over_the_per_client_limit_get_421_4_7_0()
    {
        await using var server = await ServerFixture.StartAsync(o => o.MaxConnectionsPerClient = 1);
        await using var first = await TestClient.ConnectAsync(server.Relay);
        Assert.StartsWith("220", await first.ReadReplyAsync());
        await using var second = await TestClient.ConnectAsync(server.Relay);
        Assert.Equal("421 4.7.0 Too many connections, try again later", await second.ReadReplyAsync());
        Assert.True(await second.IsClosedAsync());
        Assert.Equal("221 2.0.0 Bye", await first.CommandAsync("QUIT"));
        await first.IsClosedAsync();
        await WaitUntilAsync(() => server.Server.ConnectionCount == 0);
        await using var third = await TestClient.ConnectAsync(server.Relay);
        Assert.StartsWith("220", await third.ReadReplyAsync());
    }

    [Fact]
    public async Task Connections_over_the_total_limit_get_421_4_7_0()
    {
        await using var server = await ServerFixture.StartAsync(o => o.MaxConnections = 2);
        await using var a = await TestClient.ConnectAsync(server.Relay);
        await using var b = await TestClient.ConnectAsync(server.Submission);
        Assert.StartsWith("220", await a.ReadReplyAsync());
        Assert.StartsWith("220", await b.ReadReplyAsync());
        await using var c = await TestClient.ConnectAsync(server.Relay);
        Assert.StartsWith("421 4.7.0", await c.ReadReplyAsync());
    }

    [Fact]
    public async Task Stopping_the_server_ends_open_sessions_with_421_4_3_2()
    {
        var server = await ServerFixture.StartAsync();
        await using var client = await TestClient.ConnectAsync(server.Relay);
        await client.ReadReplyAsync();
        await client.CommandAsync("EHLO c.test");
        var stop = server.DisposeAsync().AsTask();
        Assert.Equal("421 4.3.2 Service shutting down", await client.ReadReplyAsync());
        await stop.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Early_talker_on_a_real_socket_is_refused()
    {
        await using var server = await ServerFixture.StartAsync(o => o.GreetingDelay = TimeSpan.FromMilliseconds(300));
        await using var client = await TestClient.ConnectAsync(server.Relay);
        await client.SendAsync("EHLO eager\r\n");
        Assert.StartsWith("554 5.5.0", await client.ReadReplyAsync());
        await using var patient = await TestClient.ConnectAsync(server.Relay);
        Assert.StartsWith("220", await patient.ReadReplyAsync());
        Assert.StartsWith("250-", await patient.CommandAsync("EHLO patient"));
    }

    [Fact]
    public async Task Custom_handler_receives_each_connection()
    {
        var options = new SmtpServerOptions
        {
            HostName = "mx.test",
            Listeners = new() { ["relay"] = new() { Address = "127.0.0.1", Port = 0 } },
        };
        var spool = new FakeSpool();
        var context = new SmtpServerContext(options, spool);
        var seen = new List<string>();
        var handler = new RecordingHandler(context, seen);
        await using var server = new SmtpServer(context, handler);
        await server.StartAsync();
        await using (var client = await TestClient.ConnectAsync(server.Listeners[0].LocalEndPoint))
        {
            Assert.StartsWith("220", await client.ReadReplyAsync());
            await client.CommandAsync("QUIT");
        }
        await WaitUntilAsync(() => seen.Count == 1);
        Assert.Equal("relay", seen[0]);
    }

    [Fact]
    public async Task Implicit_tls_listener_without_certificate_does_not_start()
    {
        var options = new SmtpServerOptions
        {
            Listeners = new() { ["submissions"] = new() { Address = "127.0.0.1", Port = 0, Kind = SmtpListenerKind.ImplicitTls } },
        };
        var server = new SmtpServer(new SmtpServerContext(options, new FakeSpool()));
        await Assert.ThrowsAsync<InvalidOperationException>(() => server.StartAsync());
    }

    [Fact]
    public async Task A_disabled_listener_is_not_opened_and_a_new_name_adds_one()
    {
        var options = new SmtpServerOptions { HostName = "mx.test" };
        options.Listeners["relay"].Port = 0;
        options.Listeners["submission"].Enabled = false;
        options.Listeners["submissions"].Enabled = false;
        options.Listeners["outbound"] = new() { Address = "127.0.0.1", Port = 0 };
        var spool = new FakeSpool();
        await using var server = new SmtpServer(new SmtpServerContext(options, spool));
        await server.StartAsync();

        Assert.Equal(["relay", "outbound"], server.Listeners.Select(l => l.Options.Name));
        Assert.Equal(["submission", "submissions"], options.DisabledListeners());
        await using var client = await TestClient.ConnectAsync(server.Listeners[1].LocalEndPoint);
        Assert.StartsWith("220 mx.test", await client.ReadReplyAsync());
        await client.CommandAsync("EHLO c.test");
        Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<a@example.com>"));
        Assert.StartsWith("250", await client.CommandAsync("RCPT TO:<b@example.net>"));
        Assert.StartsWith("354", await client.CommandAsync("DATA"));
        Assert.StartsWith("250", await client.CommandAsync("Subject: t\r\n\r\nhi\r\n."));
        // The entry's key names the listener the message came in on.
        Assert.Equal("outbound", spool.Single().ListenerName);
    }

    [Fact]
    public void Default_listeners_and_networks()
    {
        var options = new SmtpServerOptions();
        Assert.Equal(
            [("relay", "127.0.0.1", 2525, SmtpListenerKind.Relay), ("submission", "0.0.0.0", 2587, SmtpListenerKind.Submission),
             ("submissions", "0.0.0.0", 2465, SmtpListenerKind.ImplicitTls)],
            options.EffectiveListeners().Select(l => (l.Name, l.Address, l.Port, l.Kind)));
        Assert.Equal([false, true, true], options.EffectiveListeners().Select(l => l.RequiresAuth));
        Assert.Equal(35L * 1024 * 1024, options.MaxMessageSize);
        Assert.True(new TrustedNetworks(options.TrustedNetworks).Contains(IPAddress.Parse("127.1.2.3")));
    }

    [Fact]
    public void Self_signed_certificate_is_created_once_and_reused()
    {
        var dir = Path.Combine(Path.GetTempPath(), "smtp-cert-" + Guid.NewGuid().ToString("N"));
        try
        {
            var options = new SmtpServerOptions { HostName = "node1.test", DataDirectory = dir };
            using var first = TlsCertificateProvider.LoadOrCreate(options, NullLogger.Instance)!;
            Assert.True(File.Exists(Path.Combine(dir, TlsCertificateProvider.SelfSignedFileName)));
            Assert.True(first.HasPrivateKey);
            Assert.Equal("CN=node1.test", first.Subject);
            using var second = TlsCertificateProvider.LoadOrCreate(options, NullLogger.Instance)!;
            Assert.Equal(first.Thumbprint, second.Thumbprint);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Pem_certificate_from_options_is_loaded()
    {
        var dir = Path.Combine(Path.GetTempPath(), "smtp-pem-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            using var key = System.Security.Cryptography.ECDsa.Create();
            var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=pem.test", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
            using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
            File.WriteAllText(Path.Combine(dir, "cert.pem"), cert.ExportCertificatePem());
            File.WriteAllText(Path.Combine(dir, "key.pem"), key.ExportPkcs8PrivateKeyPem());
            var options = new SmtpServerOptions { CertificatePath = Path.Combine(dir, "cert.pem"), CertificateKeyPath = Path.Combine(dir, "key.pem") };
            using var loaded = TlsCertificateProvider.LoadOrCreate(options, NullLogger.Instance)!;
            Assert.Equal("CN=pem.test", loaded.Subject);
            Assert.True(loaded.HasPrivateKey);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    internal static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition() && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.True(condition());
    }

    private sealed class RecordingHandler(SmtpServerContext context, List<string> seen) : ISmtpConnectionHandler
    {
        public Task HandleConnectionAsync(SmtpConnection connection, CancellationToken cancellationToken)
        {
            lock (seen) seen.Add(connection.Listener.Name);
            return new SmtpSessionHandler(context).HandleConnectionAsync(connection, cancellationToken);
        }
    }
}
