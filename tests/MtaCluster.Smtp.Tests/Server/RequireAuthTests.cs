using System.Text;
using MtaCluster.Smtp.Server;
using MtaCluster.Smtp.Tests.TestSupport;

namespace MtaCluster.Smtp.Tests.Server;

/// <summary>
/// A listener's RequireAuth: submission authenticates everyone, even a client in a trusted network; the
/// relay listener keeps trusting its networks unless told otherwise.
/// </summary>
public class RequireAuthTests
{
    private static string Plain(string user, string password) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes("\0" + user + "\0" + password));

    [Theory]
    [InlineData(SmtpListenerKind.Relay, null, false)]
    [InlineData(SmtpListenerKind.Submission, null, true)]
    [InlineData(SmtpListenerKind.ImplicitTls, null, true)]
    [InlineData(SmtpListenerKind.Relay, true, true)]
    [InlineData(SmtpListenerKind.Submission, false, false)]
    [InlineData(SmtpListenerKind.ImplicitTls, false, false)]
    public void Defaults_by_kind_and_an_explicit_setting_wins(SmtpListenerKind kind, bool? configured, bool expected)
    {
        Assert.Equal(expected, new SmtpListenerOptions { Kind = kind, RequireAuth = configured }.RequiresAuth);
    }

    [Fact]
    public async Task Submission_from_a_trusted_network_without_auth_gets_530()
    {
        await using var h = SessionHarness.Start(kind: SmtpListenerKind.Submission, client: SessionHarness.TrustedClient);
        await h.GreetAsync();
        Assert.Equal("530 5.7.0 Authentication required", await h.Client.CommandAsync("MAIL FROM:<a@example.com>"));
        Assert.StartsWith("503 5.5.1", await h.Client.CommandAsync("RCPT TO:<b@example.net>"));
        // The session stays usable: a refused MAIL is not a bad command that counts toward closing.
        Assert.Equal("250 2.0.0 Ok", await h.Client.CommandAsync("NOOP"));
        Assert.Empty(h.Spool.Accepted);
    }

    [Fact]
    public async Task Relay_listener_with_require_auth_refuses_a_trusted_client_without_auth()
    {
        await using var h = SessionHarness.Start(kind: SmtpListenerKind.Relay, client: SessionHarness.TrustedClient, requireAuth: true);
        await h.GreetAsync();
        Assert.Equal("530 5.7.0 Authentication required", await h.Client.CommandAsync("MAIL FROM:<a@example.com>"));
    }

    [Fact]
    public async Task Submission_with_require_auth_off_trusts_the_networks_again_but_not_others()
    {
        await using (var trusted = SessionHarness.Start(kind: SmtpListenerKind.Submission, client: SessionHarness.TrustedClient, requireAuth: false))
        {
            await trusted.OpenTransactionAsync();
        }
        await using var untrusted = SessionHarness.Start(kind: SmtpListenerKind.Submission, client: SessionHarness.UntrustedClient, requireAuth: false);
        await untrusted.GreetAsync();
        Assert.Equal("530 5.7.0 Authentication required", await untrusted.Client.CommandAsync("MAIL FROM:<a@example.com>"));
    }

    /// <summary>STARTTLS on a real listener from 127.0.0.1, which is in the default trusted networks.</summary>
    private static async Task<TestClient> SecureAsync(System.Net.IPEndPoint endPoint)
    {
        var client = await TestClient.ConnectAsync(endPoint);
        Assert.StartsWith("220 mx.test", await client.ReadReplyAsync());
        await client.CommandAsync("EHLO c.test");
        Assert.Equal("220 2.0.0 Ready to start TLS", await client.CommandAsync("STARTTLS"));
        await client.StartTlsAsync();
        Assert.Contains("AUTH PLAIN LOGIN", await client.CommandAsync("EHLO c.test"));
        return client;
    }

    private static async Task SendOneAsync(TestClient client)
    {
        Assert.StartsWith("250 2.1.0", await client.CommandAsync("MAIL FROM:<a@example.com>"));
        Assert.StartsWith("250 2.1.5", await client.CommandAsync("RCPT TO:<b@example.net>"));
        Assert.StartsWith("354", await client.CommandAsync("DATA"));
        await client.SendAsync("Subject: t\r\n\r\nhi\r\n.\r\n");
        Assert.StartsWith("250 2.0.0 Ok: queued as", await client.ReadReplyAsync());
    }

    [Fact]
    public async Task Submission_listener_from_loopback_530_without_auth_then_250_with_it()
    {
        await using var server = await ServerFixture.StartAsync();
        await using var client = await SecureAsync(server.Submission);
        Assert.Equal("530 5.7.0 Authentication required", await client.CommandAsync("MAIL FROM:<a@example.com>"));
        Assert.Equal("235 2.7.0 Authentication successful", await client.CommandAsync("AUTH PLAIN " + Plain(ServerFixture.User, ServerFixture.Password)));
        await SendOneAsync(client);
        Assert.Equal(ServerFixture.User, server.Spool.Single().AuthenticatedUser);
    }

    [Fact]
    public async Task Implicit_tls_listener_from_loopback_without_auth_gets_530()
    {
        await using var server = await ServerFixture.StartAsync();
        await using var client = await TestClient.ConnectAsync(server.ImplicitTls, implicitTls: true);
        Assert.StartsWith("220 mx.test", await client.ReadReplyAsync());
        await client.CommandAsync("EHLO c.test");
        Assert.Equal("530 5.7.0 Authentication required", await client.CommandAsync("MAIL FROM:<a@example.com>"));
    }

    [Fact]
    public async Task Relay_listener_from_loopback_is_unchanged_no_auth_needed()
    {
        await using var server = await ServerFixture.StartAsync();
        await using var client = await TestClient.ConnectAsync(server.Relay);
        Assert.StartsWith("220 mx.test", await client.ReadReplyAsync());
        await client.CommandAsync("EHLO c.test");
        await SendOneAsync(client);
        Assert.Null(server.Spool.Single().AuthenticatedUser);
    }

    [Fact]
    public async Task Relay_listener_set_to_require_auth_demands_it_from_loopback()
    {
        await using var server = await ServerFixture.StartAsync(o => o.Listeners["relay"].RequireAuth = true);
        await using var client = await SecureAsync(server.Relay);
        Assert.Equal("530 5.7.0 Authentication required", await client.CommandAsync("MAIL FROM:<a@example.com>"));
        Assert.Equal("235 2.7.0 Authentication successful", await client.CommandAsync("AUTH PLAIN " + Plain(ServerFixture.User, ServerFixture.Password)));
        await SendOneAsync(client);
        Assert.Equal("relay", server.Spool.Single().ListenerName);
    }
}
