using MtaCluster.Smtp.Server;
using MtaCluster.Smtp.Tests.TestSupport;

namespace MtaCluster.Smtp.Tests.Server;

public class RelayPolicyTests
{
    [Fact]
    public async Task Trusted_network_relays_without_auth()
    {
        await using var h = SessionHarness.Start(client: SessionHarness.TrustedClient);
        await h.OpenTransactionAsync();
    }

    [Fact]
    public async Task Untrusted_client_on_the_relay_listener_gets_554_5_7_1_at_rcpt()
    {
        await using var h = SessionHarness.Start(client: SessionHarness.UntrustedClient);
        await h.GreetAsync();
        Assert.StartsWith("250 2.1.0", await h.Client.CommandAsync("MAIL FROM:<a@example.com>"));
        Assert.Equal("554 5.7.1 Relay access denied", await h.Client.CommandAsync("RCPT TO:<b@example.net>"));
        Assert.StartsWith("503 5.5.1", await h.Client.CommandAsync("DATA"));
        Assert.Empty(h.Spool.Accepted);
    }

    [Fact]
    public async Task Untrusted_client_on_submission_needs_auth_before_mail()
    {
        await using var h = SessionHarness.Start(kind: SmtpListenerKind.Submission, client: SessionHarness.UntrustedClient);
        await h.GreetAsync();
        Assert.Equal("530 5.7.0 Authentication required", await h.Client.CommandAsync("MAIL FROM:<a@example.com>"));
    }

    [Fact]
    public async Task Configured_networks_replace_the_defaults()
    {
        await using (var configured = SessionHarness.Start(o => o.TrustedNetworks = ["192.0.2.0/24"], client: SessionHarness.UntrustedClient))
        {
            await configured.OpenTransactionAsync();
        }

        // Replaced, not added to: loopback, trusted by default, is now an ordinary client.
        await using var loopback = SessionHarness.Start(o => o.TrustedNetworks = ["192.0.2.0/24"], client: SessionHarness.TrustedClient);
        await loopback.GreetAsync();
        Assert.StartsWith("250 2.1.0", await loopback.Client.CommandAsync("MAIL FROM:<a@example.com>"));
        Assert.Equal("554 5.7.1 Relay access denied", await loopback.Client.CommandAsync("RCPT TO:<b@example.net>"));
        Assert.False(loopback.Context.TrustedNetworks.Contains(System.Net.IPAddress.Loopback));
        Assert.False(loopback.Context.TrustedNetworks.Contains(System.Net.IPAddress.IPv6Loopback));
    }

    [Fact]
    public async Task Auth_before_tls_is_538_5_7_11_and_not_advertised()
    {
        var auth = new MtaCluster.Smtp.Auth.ConfiguredUserAuthenticator(new());
        await using var h = SessionHarness.Start(kind: SmtpListenerKind.Submission, client: SessionHarness.UntrustedClient, authenticator: auth);
        Assert.DoesNotContain("AUTH", await h.GreetAsync());
        Assert.Equal("538 5.7.11 Encryption required for requested authentication mechanism", await h.Client.CommandAsync("AUTH PLAIN AGFsaWNlAHB3"));
    }

    [Fact]
    public void Trusted_networks_match_ipv4_mapped_addresses()
    {
        var networks = new TrustedNetworks(null);
        Assert.True(networks.Contains(System.Net.IPAddress.Parse("::ffff:127.0.0.1")));
        Assert.True(networks.Contains(System.Net.IPAddress.IPv6Loopback));
        Assert.False(networks.Contains(System.Net.IPAddress.Parse("10.0.0.1")));
    }
}
