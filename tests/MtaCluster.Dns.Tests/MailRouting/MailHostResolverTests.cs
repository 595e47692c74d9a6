using System.Net;
using MtaCluster.Dns.MailRouting;
using MtaCluster.Dns.Protocol;
using MtaCluster.Dns.Records;
using MtaCluster.Dns.Tests.Infrastructure;

namespace MtaCluster.Dns.Tests.MailRouting;

[Collection(DnsmasqCollection.Name)]
public class MailHostResolverTests
{
    private readonly DnsmasqFixture _dnsmasq;

    public MailHostResolverTests(DnsmasqFixture dnsmasq) => _dnsmasq = dnsmasq;

    [Fact]
    public async Task Mx_hosts_are_ordered_by_preference_with_ipv6_before_ipv4()
    {
        var client = _dnsmasq.CreateClient();
        MailRoutingResult result = await client.ResolveMailHostsAsync("example.net", TestContext.Token);

        Assert.Equal(MailRoutingStatus.Success, result.Status);
        Assert.True(result.IsSuccess);
        Assert.Equal("2.0.0", result.EnhancedStatusCode);
        Assert.Equal("example.net", result.Domain);
        Assert.Collection(
            result.Hosts,
            h =>
            {
                Assert.Equal("mx1.example.net", h.HostName);
                Assert.Equal(10, h.Preference);
                Assert.Equal([IPAddress.IPv6Loopback, IPAddress.Loopback], h.Addresses);
                Assert.False(h.IsImplicit);
            },
            h =>
            {
                Assert.Equal("mx2.example.net", h.HostName);
                Assert.Equal(20, h.Preference);
                Assert.Equal([IPAddress.Parse("127.0.0.2")], h.Addresses);
            });
    }

    [Fact]
    public async Task Trailing_dot_and_case_are_accepted()
    {
        var client = _dnsmasq.CreateClient();
        MailRoutingResult result = await client.ResolveMailHostsAsync("Example.NET.", TestContext.Token);
        Assert.True(result.IsSuccess);
        Assert.Equal("Example.NET", result.Domain);
        Assert.Equal(2, result.Hosts.Count);
    }

    [Fact]
    public async Task Null_mx_is_a_permanent_failure_5_1_10()
    {
        var client = _dnsmasq.CreateClient();
        MailRoutingResult result = await client.ResolveMailHostsAsync("nullmx.test", TestContext.Token);
        Assert.Equal(MailRoutingStatus.PermanentFailure, result.Status);
        Assert.Equal("5.1.10", result.EnhancedStatusCode);
        Assert.Contains("null MX", result.Reason);
        Assert.Empty(result.Hosts);
    }

    [Fact]
    public async Task Nxdomain_is_a_permanent_failure_5_1_2()
    {
        var client = _dnsmasq.CreateClient();
        MailRoutingResult result = await client.ResolveMailHostsAsync("no-such-domain.test", TestContext.Token);
        Assert.Equal(MailRoutingStatus.PermanentFailure, result.Status);
        Assert.Equal("5.1.2", result.EnhancedStatusCode);
        Assert.Contains("NXDOMAIN", result.Reason);
    }

    [Fact]
    public async Task Without_mx_the_domain_addresses_are_an_implicit_mx()
    {
        var client = _dnsmasq.CreateClient();
        MailRoutingResult result = await client.ResolveMailHostsAsync("implicit.test", TestContext.Token);
        Assert.True(result.IsSuccess);
        MailHost host = Assert.Single(result.Hosts);
        Assert.True(host.IsImplicit);
        Assert.Equal("implicit.test", host.HostName);
        Assert.Equal(0, host.Preference);
        Assert.Equal([IPAddress.Parse("fd00::5"), IPAddress.Parse("127.0.0.5")], host.Addresses);
    }

    [Fact]
    public async Task Refused_is_a_temporary_failure_4_4_3()
    {
        var client = _dnsmasq.CreateClient();
        MailRoutingResult result = await client.ResolveMailHostsAsync("unknown.example.org", TestContext.Token);
        Assert.Equal(MailRoutingStatus.TemporaryFailure, result.Status);
        Assert.Equal("4.4.3", result.EnhancedStatusCode);
        Assert.Contains("REFUSED", result.Reason);
    }

    [Fact]
    public async Task Mx_target_without_addresses_is_skipped_or_fails_temporarily()
    {
        var client = _dnsmasq.CreateClient();

        MailRoutingResult partial = await client.ResolveMailHostsAsync("partial.test", TestContext.Token);
        Assert.True(partial.IsSuccess);
        Assert.Equal("mx1.example.net", Assert.Single(partial.Hosts).HostName);

        MailRoutingResult dangling = await client.ResolveMailHostsAsync("dangling.test", TestContext.Token);
        Assert.Equal(MailRoutingStatus.TemporaryFailure, dangling.Status);
        Assert.Equal("4.4.4", dangling.EnhancedStatusCode);
    }

    [Fact]
    public async Task Equal_preferences_are_shuffled_and_lower_preferences_stay_last()
    {
        var client = _dnsmasq.CreateClient();
        var resolver = new MailHostResolver(client, new MailHostResolverOptions { Random = new Random(7505) });
        var firstHosts = new HashSet<string>();
        for (int i = 0; i < 40; i++)
        {
            MailRoutingResult result = await resolver.ResolveMailHostsAsync("shuffle.test", TestContext.Token);
            Assert.True(result.IsSuccess);
            Assert.Equal(3, result.Hosts.Count);
            Assert.Equal("backup.shuffle.test", result.Hosts[2].HostName);
            firstHosts.Add(result.Hosts[0].HostName);
        }

        Assert.Equal(new HashSet<string> { "mxa.shuffle.test", "mxb.shuffle.test" }, firstHosts);
    }

    [Fact]
    public async Task Ipv6_can_be_disabled()
    {
        var client = _dnsmasq.CreateClient();
        var resolver = new MailHostResolver(client, new MailHostResolverOptions { UseIPv6 = false });
        MailRoutingResult result = await resolver.ResolveMailHostsAsync("example.net", TestContext.Token);
        Assert.Equal([IPAddress.Loopback], result.Hosts[0].Addresses);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-bad.example")]
    [InlineData("a..example")]
    [InlineData("b\u00fccher.example")]
    public async Task Invalid_domains_are_permanent_failures(string domain)
    {
        var client = _dnsmasq.CreateClient();
        MailRoutingResult result = await client.ResolveMailHostsAsync(domain, TestContext.Token);
        Assert.Equal(MailRoutingStatus.PermanentFailure, result.Status);
        Assert.Equal("5.1.2", result.EnhancedStatusCode);
    }
}

public class MailHostResolverScriptedTests
{
    [Fact]
    public async Task Servfail_is_a_temporary_failure_4_4_3()
    {
        await using var server = new ScriptedDnsServer(q => [ScriptedDnsServer.Answer(q, DnsResponseCode.ServerFailure)]);
        var client = server.CreateClient();
        MailRoutingResult result = await client.ResolveMailHostsAsync("broken.example", TestContext.Token);
        Assert.Equal(MailRoutingStatus.TemporaryFailure, result.Status);
        Assert.Equal("4.4.3", result.EnhancedStatusCode);
        Assert.Contains("SERVFAIL", result.Reason);
    }

    [Fact]
    public async Task Timeout_is_a_temporary_failure_4_4_3()
    {
        await using var server = new ScriptedDnsServer(_ => []);
        var client = server.CreateClient(o => o.Timeout = TimeSpan.FromMilliseconds(200));
        MailRoutingResult result = await client.ResolveMailHostsAsync("slow.example", TestContext.Token);
        Assert.Equal(MailRoutingStatus.TemporaryFailure, result.Status);
        Assert.Equal("4.4.3", result.EnhancedStatusCode);
    }

    [Fact]
    public async Task Mx_targets_failing_temporarily_give_4_4_3()
    {
        await using var server = new ScriptedDnsServer(q => q.Question.Type == QueryType.MX
            ? [ScriptedDnsServer.Answer(q, answers: [new MxRecord(q.Question.Name, 60, 10, "mx.broken.example")])]
            : [ScriptedDnsServer.Answer(q, DnsResponseCode.ServerFailure)]);
        var client = server.CreateClient();
        MailRoutingResult result = await client.ResolveMailHostsAsync("broken.example", TestContext.Token);
        Assert.Equal(MailRoutingStatus.TemporaryFailure, result.Status);
        Assert.Equal("4.4.3", result.EnhancedStatusCode);
    }

    [Fact]
    public async Task Authenticated_mx_answer_is_reported()
    {
        await using var server = new ScriptedDnsServer(q =>
        {
            var message = new DnsMessage
            {
                Header = new DnsHeader { Id = q.Message.Header.Id, IsResponse = true, IsAuthenticData = true },
                Questions = [q.Question],
                Answers = q.Question.Type switch
                {
                    QueryType.MX => [new MxRecord(q.Question.Name, 60, 10, "mx.signed.example")],
                    QueryType.A => [new ARecord(q.Question.Name, 60, IPAddress.Parse("192.0.2.25"))],
                    _ => [],
                },
            };
            return [message.Encode()];
        });
        var client = server.CreateClient();
        MailRoutingResult result = await client.ResolveMailHostsAsync("signed.example", TestContext.Token);
        Assert.True(result.IsSuccess);
        Assert.True(result.IsAuthenticData);
        Assert.Equal([IPAddress.Parse("192.0.2.25")], Assert.Single(result.Hosts).Addresses);
    }

    [Fact]
    public void Ordering_sorts_by_preference_deduplicates_and_shuffles_within_equal_preference()
    {
        var records = new List<MxRecord>
        {
            new("d.example", 60, 20, "c.example"),
            new("d.example", 60, 10, "a.example"),
            new("d.example", 60, 10, "b.example"),
            new("d.example", 60, 30, "A.example"),
            new("d.example", 60, 5, "z.example"),
        };
        var seenFirstOfTen = new HashSet<string>();
        var random = new Random(5321);
        for (int i = 0; i < 50; i++)
        {
            MxRecord[] ordered = MailHostResolver.OrderByPreference(records, random);
            Assert.Equal(4, ordered.Length);
            Assert.Equal("z.example.", ordered[0].Exchange);
            Assert.Equal("c.example.", ordered[3].Exchange);
            seenFirstOfTen.Add(ordered[1].Exchange);
        }

        Assert.Equal(2, seenFirstOfTen.Count);
    }
}
