using System.Net;
using MtaCluster.Dns.Configuration;

namespace MtaCluster.Dns.Tests.Configuration;

public class NameServerEndpointTests
{
    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1", 53)]
    [InlineData("127.0.0.1:5353", "127.0.0.1", 5353)]
    [InlineData(" 10.0.0.53:53 ", "10.0.0.53", 53)]
    [InlineData("[::1]:5353", "::1", 5353)]
    [InlineData("[2001:db8::53]", "2001:db8::53", 53)]
    [InlineData("2001:db8::53", "2001:db8::53", 53)]
    public void Parses_host_and_port(string text, string address, int port)
    {
        Assert.Equal(new IPEndPoint(IPAddress.Parse(address), port), NameServerEndpoint.Parse(text));
    }

    [Theory]
    [InlineData("")]
    [InlineData("dns.example:53")]
    [InlineData("127.0.0.1:")]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1:70000")]
    [InlineData("[::1")]
    [InlineData("[::1]x53")]
    [InlineData("[127.0.0.1]:53")]
    public void Rejects_invalid_endpoints(string text)
    {
        Assert.False(NameServerEndpoint.TryParse(text, out _));
        Assert.Throws<FormatException>(() => NameServerEndpoint.Parse(text));
    }

    [Fact]
    public void Parses_a_configuration_list()
    {
        IReadOnlyList<IPEndPoint> endpoints = NameServerEndpoint.ParseList(["127.0.0.1:5300", "", "[::1]:5301"]);
        Assert.Equal([new IPEndPoint(IPAddress.Loopback, 5300), new IPEndPoint(IPAddress.IPv6Loopback, 5301)], endpoints);
    }

    [Fact]
    public void Reads_nameserver_lines_from_resolv_conf()
    {
        const string content = """
            # generated
            search example.net
            nameserver 192.0.2.53
            nameserver   2001:db8::53 # comment
            ; nameserver 198.51.100.1
            nameserverx 203.0.113.1
            options edns0 trust-ad
            nameserver not-an-address
            """;
        Assert.Equal(
            [new IPEndPoint(IPAddress.Parse("192.0.2.53"), 53), new IPEndPoint(IPAddress.Parse("2001:db8::53"), 53)],
            ResolvConf.ParseNameServers(content));
    }

    [Fact]
    public void Default_client_reads_the_system_resolver_configuration()
    {
        var client = new LookupClient();
        IReadOnlyList<IPEndPoint> expected = ResolvConf.ReadNameServers();
        if (expected.Count > 0)
        {
            Assert.Equal(expected, client.NameServers);
        }
        else
        {
            Assert.Equal([new IPEndPoint(IPAddress.Loopback, 53)], client.NameServers);
        }
    }

    [Fact]
    public void Reverse_names_follow_rfc_1035_and_3596()
    {
        Assert.Equal("4.3.2.1.in-addr.arpa.", LookupClient.GetArpaName(IPAddress.Parse("1.2.3.4")));
        Assert.Equal(
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.",
            LookupClient.GetArpaName(IPAddress.Parse("2001:db8::1")));
    }

    [Fact]
    public void Options_are_validated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new LookupClient(new LookupClientOptions { Timeout = TimeSpan.Zero }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LookupClient(new LookupClientOptions { CacheSize = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LookupClient(new LookupClientOptions
        {
            MinimumCacheTtl = TimeSpan.FromMinutes(5),
            MaximumCacheTtl = TimeSpan.FromMinutes(1),
        }));
    }
}
