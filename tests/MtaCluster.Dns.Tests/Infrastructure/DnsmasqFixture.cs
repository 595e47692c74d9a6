using System.Net;
using MtaCluster.Dns.Protocol;
using MtaCluster.Testing;

namespace MtaCluster.Dns.Tests.Infrastructure;

/// <summary>
/// The dnsmasq every lookup test shares, serving fixed local data. Names under .test that it does not
/// know are NXDOMAIN (--local); names elsewhere without data are REFUSED (no upstream).
/// </summary>
public sealed class DnsmasqFixture : IAsyncLifetime
{
    private DnsmasqServer? _server;

    public IPEndPoint EndPoint => _server?.EndPoint ?? throw new InvalidOperationException("dnsmasq has not been started.");

    public static readonly string[] Records =
    [
        "--mx-host=example.net,mx1.example.net,10",
        "--mx-host=example.net,mx2.example.net,20",
        "--host-record=mx1.example.net,127.0.0.1,::1",
        "--host-record=mx2.example.net,127.0.0.2",
        "--mx-host=nullmx.test,.,0",
        "--host-record=implicit.test,127.0.0.5,fd00::5",
        "--mx-host=shuffle.test,mxa.shuffle.test,10",
        "--mx-host=shuffle.test,mxb.shuffle.test,10",
        "--mx-host=shuffle.test,backup.shuffle.test,30",
        "--host-record=mxa.shuffle.test,127.0.1.1",
        "--host-record=mxb.shuffle.test,127.0.1.2",
        "--host-record=backup.shuffle.test,127.0.1.3",
        "--mx-host=dangling.test,nohost.test,10",
        "--mx-host=partial.test,nohost.test,5",
        "--mx-host=partial.test,mx1.example.net,10",
        "--txt-record=txt.example.net,v=spf1 -all,second string",
        "--cname=alias.example.net,mx1.example.net",
        "--dns-rr=_25._tcp.mx1.example.net,52,030101AABBCCDDEEFF",
        "--local=/test/",
        "--local-ttl=60",
    ];

    public LookupClient CreateClient(Action<LookupClientOptions>? configure = null)
    {
        var options = new LookupClientOptions
        {
            NameServers = { EndPoint },
            Timeout = TimeSpan.FromSeconds(2),
            Retries = 1,
        };
        configure?.Invoke(options);
        return new LookupClient(options);
    }

    public async Task InitializeAsync() => _server = await DnsmasqServer.StartAsync(Records);

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class DnsmasqCollection : ICollectionFixture<DnsmasqFixture>
{
    public const string Name = "dnsmasq";
}
