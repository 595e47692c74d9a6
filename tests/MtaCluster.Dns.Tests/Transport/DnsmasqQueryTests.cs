using System.Net;
using MtaCluster.Dns.Protocol;
using MtaCluster.Dns.Records;
using MtaCluster.Dns.Tests.Infrastructure;

namespace MtaCluster.Dns.Tests.Transport;

[Collection(DnsmasqCollection.Name)]
public class DnsmasqQueryTests
{
    private readonly DnsmasqFixture _dnsmasq;

    public DnsmasqQueryTests(DnsmasqFixture dnsmasq) => _dnsmasq = dnsmasq;

    [Fact]
    public async Task Mx_records_are_typed_and_the_answering_server_is_reported()
    {
        var client = _dnsmasq.CreateClient();
        IDnsQueryResponse response = await client.QueryAsync("example.net", QueryType.MX, TestContext.Token);

        Assert.Equal(DnsResponseCode.NoError, response.Header.ResponseCode);
        Assert.False(response.HasError);
        Assert.Equal(_dnsmasq.EndPoint, response.NameServer);
        Assert.NotNull(response.Opt);
        List<MxRecord> mx = response.Answers.MxRecords();
        Assert.Equal(2, mx.Count);
        Assert.Contains(mx, r => r.Preference == 10 && r.Exchange == "mx1.example.net.");
        Assert.Contains(mx, r => r.Preference == 20 && r.Exchange == "mx2.example.net.");
        Assert.All(mx, r => Assert.Equal(60, r.TimeToLive));
    }

    [Fact]
    public async Task Address_alias_text_tlsa_and_reverse_records()
    {
        var client = _dnsmasq.CreateClient();

        var a = await client.QueryAsync("mx1.example.net.", QueryType.A, TestContext.Token);
        Assert.Equal(IPAddress.Loopback, Assert.Single(a.Answers.ARecords()).Address);

        var aaaa = await client.QueryAsync("MX1.Example.Net", QueryType.AAAA, TestContext.Token);
        Assert.Equal(IPAddress.IPv6Loopback, Assert.Single(aaaa.Answers.AaaaRecords()).Address);

        var alias = await client.QueryAsync("alias.example.net", QueryType.A, TestContext.Token);
        Assert.Equal("mx1.example.net.", Assert.Single(alias.Answers.CnameRecords()).CanonicalName);
        Assert.Single(alias.Answers.ARecords());

        var txt = await client.QueryAsync("txt.example.net", QueryType.TXT, TestContext.Token);
        Assert.Equal(["v=spf1 -all", "second string"], Assert.Single(txt.Answers.TxtRecords()).Text);

        var tlsa = await client.QueryAsync("_25._tcp.mx1.example.net", QueryType.TLSA, TestContext.Token);
        TlsaRecord record = Assert.Single(tlsa.Answers.TlsaRecords());
        Assert.Equal(TlsaCertificateUsage.DaneEE, record.CertificateUsage);
        Assert.Equal(TlsaSelector.SubjectPublicKeyInfo, record.Selector);
        Assert.Equal(TlsaMatchingType.Sha256, record.MatchingType);
        Assert.Equal("AABBCCDDEEFF", record.CertificateAssociationDataHex);

        var ptr = await client.QueryReverseAsync(IPAddress.Parse("127.0.0.2"), TestContext.Token);
        Assert.Equal("mx2.example.net.", Assert.Single(ptr.Answers.PtrRecords()).PtrDomainName);
    }

    [Fact]
    public async Task Nxdomain_nodata_and_refused_are_returned_as_response_codes()
    {
        var client = _dnsmasq.CreateClient();

        var nx = await client.QueryAsync("missing.test", QueryType.A, TestContext.Token);
        Assert.Equal(DnsResponseCode.NameError, nx.Header.ResponseCode);
        Assert.True(nx.HasError);
        Assert.Contains("NXDOMAIN", nx.ErrorMessage);

        var nodata = await client.QueryAsync("implicit.test", QueryType.MX, TestContext.Token);
        Assert.Equal(DnsResponseCode.NoError, nodata.Header.ResponseCode);
        Assert.Empty(nodata.Answers);

        var refused = await client.QueryAsync("unknown.example.org", QueryType.A, TestContext.Token);
        Assert.Equal(DnsResponseCode.Refused, refused.Header.ResponseCode);
    }

    [Fact]
    public async Task Tcp_only_mode_talks_to_dnsmasq_over_tcp()
    {
        var client = _dnsmasq.CreateClient(o => o.UseTcpOnly = true);
        var response = await client.QueryAsync("example.net", QueryType.MX, TestContext.Token);
        Assert.Equal(2, response.Answers.MxRecords().Count);
    }

    [Fact]
    public async Task Invalid_names_raise_a_DnsException()
    {
        var client = _dnsmasq.CreateClient();
        await Assert.ThrowsAnyAsync<DnsException>(() => client.QueryAsync(new string('a', 64) + ".test", QueryType.A, TestContext.Token));
        await Assert.ThrowsAnyAsync<DnsException>(() => client.QueryAsync("a..test", QueryType.A, TestContext.Token));
        await Assert.ThrowsAnyAsync<DnsException>(() => client.QueryAsync("b\u00fccher.test", QueryType.A, TestContext.Token));
    }
}
