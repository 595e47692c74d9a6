using System.Net.Sockets;
using System.Text;
using MtaCluster.Smtp.Server;
using MtaCluster.Smtp.Tests.TestSupport;

namespace MtaCluster.Smtp.Tests.Server;

/// <summary>STARTTLS (RFC 3207), implicit TLS (RFC 8314) and AUTH (RFC 4954) against a real listener.</summary>
public class TlsAndAuthTests
{
    private static string Plain(string user, string password) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes("\0" + user + "\0" + password));

    private static async Task<TestClient> SecureSubmissionAsync(ServerFixture server)
    {
        var client = await TestClient.ConnectAsync(server.Submission);
        Assert.StartsWith("220 mx.test", await client.ReadReplyAsync());
        var ehlo = await client.CommandAsync("EHLO c.test");
        Assert.Matches(@"(?m)^250[ -]STARTTLS$", ehlo);
        Assert.DoesNotContain("AUTH", ehlo);
        Assert.Equal("220 2.0.0 Ready to start TLS", await client.CommandAsync("STARTTLS"));
        await client.StartTlsAsync();
        return client;
    }

    [Fact]
    public async Task Starttls_then_auth_plain_then_mail()
    {
        await using var server = await ServerFixture.StartAsync(o => o.TrustedNetworks = []);
        await using var client = await SecureSubmissionAsync(server);
        Assert.StartsWith("503 5.5.1", await client.CommandAsync("MAIL FROM:<a@example.com>"));
        var ehlo = await client.CommandAsync("EHLO c.test");
        Assert.DoesNotContain("STARTTLS", ehlo);
        Assert.Contains("AUTH PLAIN LOGIN", ehlo);
        Assert.Equal("530 5.7.0 Authentication required", await client.CommandAsync("MAIL FROM:<a@example.com>"));
        Assert.Equal("235 2.7.0 Authentication successful", await client.CommandAsync("AUTH PLAIN " + Plain(ServerFixture.User, ServerFixture.Password)));
        Assert.StartsWith("503 5.5.1", await client.CommandAsync("AUTH PLAIN " + Plain(ServerFixture.User, ServerFixture.Password)));
        Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<a@example.com>"));
        Assert.StartsWith("250", await client.CommandAsync("RCPT TO:<b@example.net>"));
        Assert.StartsWith("354", await client.CommandAsync("DATA"));
        await client.SendAsync("Subject: over tls\r\n\r\nhi\r\n.\r\n");
        Assert.StartsWith("250 2.0.0 Ok: queued as", await client.ReadReplyAsync());
        var m = server.Spool.Single();
        Assert.Equal(ServerFixture.User, m.AuthenticatedUser);
        Assert.Equal("submission", m.ListenerName);
        var text = FakeSpool.Text(m);
        Assert.Contains(" with ESMTPSA id ", text);
        Assert.Contains("(using TLSv1.", text);
        Assert.Contains("\r\nMessage-ID: <", text);
    }

    [Fact]
    public async Task Starttls_twice_is_503_5_5_1()
    {
        await using var server = await ServerFixture.StartAsync();
        await using var client = await SecureSubmissionAsync(server);
        await client.CommandAsync("EHLO c.test");
        Assert.Equal("503 5.5.1 TLS already active", await client.CommandAsync("STARTTLS"));
    }

    [Fact]
    public async Task Commands_pipelined_after_starttls_are_discarded()
    {
        await using var server = await ServerFixture.StartAsync();
        await using var client = await TestClient.ConnectAsync(server.Submission);
        await client.ReadReplyAsync();
        await client.CommandAsync("EHLO c.test");
        await client.SendAsync("STARTTLS\r\nMAIL FROM:<injected@example.com>\r\n");
        Assert.StartsWith("220 2.0.0", await client.ReadReplyAsync());
        await client.StartTlsAsync();
        // Had the injected MAIL survived the handshake, this EHLO-less MAIL would be a nested MAIL or succeed.
        Assert.StartsWith("503 5.5.1", await client.CommandAsync("MAIL FROM:<a@example.com>"));
    }

    [Fact]
    public async Task Auth_login_dialogue()
    {
        await using var server = await ServerFixture.StartAsync();
        await using var client = await SecureSubmissionAsync(server);
        await client.CommandAsync("EHLO c.test");
        Assert.Equal("334 VXNlcm5hbWU6", await client.CommandAsync("AUTH LOGIN"));
        Assert.Equal("334 UGFzc3dvcmQ6", await client.CommandAsync(Convert.ToBase64String(Encoding.UTF8.GetBytes(ServerFixture.User))));
        Assert.StartsWith("235 2.7.0", await client.CommandAsync(Convert.ToBase64String(Encoding.UTF8.GetBytes(ServerFixture.Password))));
    }

    [Fact]
    public async Task Auth_login_with_initial_response()
    {
        await using var server = await ServerFixture.StartAsync();
        await using var client = await SecureSubmissionAsync(server);
        await client.CommandAsync("EHLO c.test");
        Assert.Equal("334 UGFzc3dvcmQ6", await client.CommandAsync("AUTH LOGIN " + Convert.ToBase64String(Encoding.UTF8.GetBytes(ServerFixture.User))));
        Assert.StartsWith("235 2.7.0", await client.CommandAsync(Convert.ToBase64String(Encoding.UTF8.GetBytes(ServerFixture.Password))));
    }

    [Fact]
    public async Task Malformed_auth()
    {
        await using var server = await ServerFixture.StartAsync();
        await using var client = await SecureSubmissionAsync(server);
        await client.CommandAsync("EHLO c.test");
        Assert.Equal("504 5.5.4 Unrecognized authentication mechanism", await client.CommandAsync("AUTH CRAM-MD5"));
        Assert.Equal("501 5.5.2 Cannot decode base64 response", await client.CommandAsync("AUTH PLAIN !!!not-base64!!!"));
        Assert.Equal("334 ", await client.CommandAsync("AUTH PLAIN"));
        Assert.Equal("501 5.7.0 Authentication cancelled", await client.CommandAsync("*"));
        Assert.StartsWith("501 5.5.4", await client.CommandAsync("AUTH"));
        Assert.Equal("250 2.0.0 Ok", await client.CommandAsync("NOOP"));
    }

    [Fact]
    public async Task Wrong_password_is_535_5_7_8_and_three_failures_close()
    {
        await using var server = await ServerFixture.StartAsync();
        await using var client = await SecureSubmissionAsync(server);
        await client.CommandAsync("EHLO c.test");
        Assert.Equal("535 5.7.8 Authentication credentials invalid", await client.CommandAsync("AUTH PLAIN " + Plain(ServerFixture.User, "wrong")));
        Assert.StartsWith("535 5.7.8", await client.CommandAsync("AUTH PLAIN " + Plain("nobody", "wrong")));
        var last = await client.CommandAsync("AUTH PLAIN " + Plain(ServerFixture.User, "wrong"));
        Assert.Equal("535 5.7.8 Authentication credentials invalid", last);
        Assert.StartsWith("421 4.7.0", await client.ReadReplyAsync());
        Assert.True(await client.IsClosedAsync());
    }

    [Fact]
    public async Task Implicit_tls_listener_greets_after_the_handshake()
    {
        await using var server = await ServerFixture.StartAsync();
        await using var client = await TestClient.ConnectAsync(server.ImplicitTls, implicitTls: true);
        Assert.StartsWith("220 mx.test", await client.ReadReplyAsync());
        var ehlo = await client.CommandAsync("EHLO c.test");
        Assert.DoesNotContain("STARTTLS", ehlo);
        Assert.Contains("AUTH PLAIN LOGIN", ehlo);
    }

    [Fact]
    public async Task Garbage_instead_of_a_tls_handshake_is_closed_and_the_server_keeps_serving()
    {
        await using var server = await ServerFixture.StartAsync();
        using (var socket = new Socket(SocketType.Stream, ProtocolType.Tcp))
        {
            await socket.ConnectAsync(server.ImplicitTls);
            await socket.SendAsync(Encoding.ASCII.GetBytes("EHLO this is not TLS at all\r\n" + new string('x', 500)));
            var buffer = new byte[1024];
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            int n;
            do n = await socket.ReceiveAsync(buffer, cts.Token);
            while (n > 0 && !ContainsNoSmtp(buffer, n));
            Assert.Equal(0, n);
        }
        await using var client = await TestClient.ConnectAsync(server.ImplicitTls, implicitTls: true);
        Assert.StartsWith("220 mx.test", await client.ReadReplyAsync());
    }

    // A TLS alert may come back before the close; it must never be an SMTP reply.
    private static bool ContainsNoSmtp(byte[] buffer, int n)
    {
        Assert.DoesNotContain("220 ", Encoding.ASCII.GetString(buffer, 0, n));
        return false;
    }

    [Fact]
    public async Task Client_that_never_handshakes_is_dropped_after_the_handshake_timeout()
    {
        await using var server = await ServerFixture.StartAsync(o => o.TlsHandshakeTimeout = TimeSpan.FromMilliseconds(500));
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server.ImplicitTls);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Assert.Equal(0, await socket.ReceiveAsync(new byte[16], cts.Token));
    }
}
