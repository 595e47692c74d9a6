using System.Net;
using MtaCluster.Dns.Protocol;
using MtaCluster.Dns.Records;
using MtaCluster.Dns.Tests.Infrastructure;
using MtaCluster.Testing;

namespace MtaCluster.Dns.Tests.Caching;

public class CachingTests
{
    private static ScriptedDnsServer AnsweringWithTtl(int ttl, TimeSpan? delay = null) =>
        new(q => [ScriptedDnsServer.Answer(q, answers: [new ARecord(q.Question.Name, ttl, IPAddress.Parse("192.0.2.1"))])], responseDelay: delay);

    private static SoaRecord Soa(int ttl, uint minimum) =>
        new("example.", ttl, "ns.example.", "hostmaster.example.", 1, 3600, 600, 86400, minimum);

    [Fact]
    public async Task Positive_answer_is_cached_for_its_ttl()
    {
        var clock = new ManualTimeProvider();
        await using var server = AnsweringWithTtl(60);
        var client = server.CreateClient(o => o.TimeProvider = clock);

        var first = await client.QueryAsync("a.example", QueryType.A, TestContext.Token);
        clock.Advance(TimeSpan.FromSeconds(59));
        var second = await client.QueryAsync("A.EXAMPLE.", QueryType.A, TestContext.Token);
        Assert.Same(first, second);
        Assert.Equal(1, server.UdpQueries);

        clock.Advance(TimeSpan.FromSeconds(2));
        await client.QueryAsync("a.example", QueryType.A, TestContext.Token);
        Assert.Equal(2, server.UdpQueries);

        await client.QueryAsync("a.example", QueryType.AAAA, TestContext.Token);
        Assert.Equal(3, server.UdpQueries);
    }

    [Fact]
    public async Task Minimum_ttl_lifts_short_lived_answers()
    {
        var clock = new ManualTimeProvider();
        await using var server = AnsweringWithTtl(0);
        var client = server.CreateClient(o =>
        {
            o.TimeProvider = clock;
            o.MinimumCacheTtl = TimeSpan.FromSeconds(30);
        });

        await client.QueryAsync("a.example", QueryType.A, TestContext.Token);
        clock.Advance(TimeSpan.FromSeconds(29));
        await client.QueryAsync("a.example", QueryType.A, TestContext.Token);
        Assert.Equal(1, server.UdpQueries);
        clock.Advance(TimeSpan.FromSeconds(2));
        await client.QueryAsync("a.example", QueryType.A, TestContext.Token);
        Assert.Equal(2, server.UdpQueries);
    }

    [Fact]
    public async Task Ttl_zero_is_not_cached_without_a_minimum()
    {
        await using var server = AnsweringWithTtl(0);
        var client = server.CreateClient(o => o.TimeProvider = new ManualTimeProvider());
        await client.QueryAsync("a.example", QueryType.A, TestContext.Token);
        await client.QueryAsync("a.example", QueryType.A, TestContext.Token);
        Assert.Equal(2, server.UdpQueries);
    }

    [Fact]
    public async Task Maximum_ttl_caps_long_lived_answers()
    {
        var clock = new ManualTimeProvider();
        await using var server = AnsweringWithTtl(86_400);
        var client = server.CreateClient(o =>
        {
            o.TimeProvider = clock;
            o.MaximumCacheTtl = TimeSpan.FromSeconds(10);
        });

        await client.QueryAsync("a.example", QueryType.A, TestContext.Token);
        clock.Advance(TimeSpan.FromSeconds(9));
        await client.QueryAsync("a.example", QueryType.A, TestContext.Token);
        Assert.Equal(1, server.UdpQueries);
        clock.Advance(TimeSpan.FromSeconds(2));
        await client.QueryAsync("a.example", QueryType.A, TestContext.Token);
        Assert.Equal(2, server.UdpQueries);
    }

    [Theory]
    [InlineData(DnsResponseCode.NameError)]
    [InlineData(DnsResponseCode.NoError)]
    public async Task Negative_answers_live_for_the_lesser_of_soa_ttl_and_minimum(DnsResponseCode code)
    {
        var clock = new ManualTimeProvider();
        await using var server = new ScriptedDnsServer(q => [ScriptedDnsServer.Answer(q, code, authorities: [Soa(ttl: 300, minimum: 45)])]);
        var client = server.CreateClient(o => o.TimeProvider = clock);

        var first = await client.QueryAsync("gone.example", QueryType.MX, TestContext.Token);
        Assert.Equal(code, first.Header.ResponseCode);
        clock.Advance(TimeSpan.FromSeconds(44));
        await client.QueryAsync("gone.example", QueryType.MX, TestContext.Token);
        Assert.Equal(1, server.UdpQueries);
        clock.Advance(TimeSpan.FromSeconds(2));
        await client.QueryAsync("gone.example", QueryType.MX, TestContext.Token);
        Assert.Equal(2, server.UdpQueries);
    }

    [Fact]
    public async Task Negative_ttl_uses_soa_record_ttl_when_it_is_smaller()
    {
        var clock = new ManualTimeProvider();
        await using var server = new ScriptedDnsServer(q => [ScriptedDnsServer.Answer(q, DnsResponseCode.NameError, authorities: [Soa(ttl: 20, minimum: 3600)])]);
        var client = server.CreateClient(o => o.TimeProvider = clock);

        await client.QueryAsync("gone.example", QueryType.A, TestContext.Token);
        clock.Advance(TimeSpan.FromSeconds(19));
        await client.QueryAsync("gone.example", QueryType.A, TestContext.Token);
        Assert.Equal(1, server.UdpQueries);
        clock.Advance(TimeSpan.FromSeconds(2));
        await client.QueryAsync("gone.example", QueryType.A, TestContext.Token);
        Assert.Equal(2, server.UdpQueries);
    }

    [Fact]
    public async Task Negative_answer_without_soa_and_servfail_are_not_cached()
    {
        await using var nxNoSoa = new ScriptedDnsServer(q => [ScriptedDnsServer.Answer(q, DnsResponseCode.NameError)]);
        var client = nxNoSoa.CreateClient(o => o.TimeProvider = new ManualTimeProvider());
        await client.QueryAsync("gone.example", QueryType.A, TestContext.Token);
        await client.QueryAsync("gone.example", QueryType.A, TestContext.Token);
        Assert.Equal(2, nxNoSoa.UdpQueries);

        await using var servfail = new ScriptedDnsServer(q => [ScriptedDnsServer.Answer(q, DnsResponseCode.ServerFailure, authorities: [Soa(300, 300)])]);
        var client2 = servfail.CreateClient(o => o.TimeProvider = new ManualTimeProvider());
        await client2.QueryAsync("broken.example", QueryType.A, TestContext.Token);
        await client2.QueryAsync("broken.example", QueryType.A, TestContext.Token);
        Assert.Equal(2, servfail.UdpQueries);
    }

    [Fact]
    public async Task Servfail_can_be_cached_briefly_when_configured()
    {
        var clock = new ManualTimeProvider();
        await using var servfail = new ScriptedDnsServer(q => [ScriptedDnsServer.Answer(q, DnsResponseCode.ServerFailure)]);
        var client = servfail.CreateClient(o =>
        {
            o.TimeProvider = clock;
            o.ServerFailureCacheTtl = TimeSpan.FromSeconds(5);
        });
        await client.QueryAsync("broken.example", QueryType.A, TestContext.Token);
        await client.QueryAsync("broken.example", QueryType.A, TestContext.Token);
        Assert.Equal(1, servfail.UdpQueries);
        clock.Advance(TimeSpan.FromSeconds(6));
        await client.QueryAsync("broken.example", QueryType.A, TestContext.Token);
        Assert.Equal(2, servfail.UdpQueries);
    }

    [Fact]
    public async Task Least_recently_used_entry_is_evicted_first()
    {
        await using var server = AnsweringWithTtl(3600);
        var client = server.CreateClient(o =>
        {
            o.TimeProvider = new ManualTimeProvider();
            o.CacheSize = 2;
        });

        await client.QueryAsync("a.example", QueryType.A, TestContext.Token);
        await client.QueryAsync("b.example", QueryType.A, TestContext.Token);
        await client.QueryAsync("a.example", QueryType.A, TestContext.Token);
        Assert.Equal(2, server.UdpQueries);

        await client.QueryAsync("c.example", QueryType.A, TestContext.Token);
        Assert.Equal(3, server.UdpQueries);
        Assert.Equal(2, client.CacheCount);

        await client.QueryAsync("a.example", QueryType.A, TestContext.Token);
        Assert.Equal(3, server.UdpQueries);
        await client.QueryAsync("b.example", QueryType.A, TestContext.Token);
        Assert.Equal(4, server.UdpQueries);
    }

    [Fact]
    public async Task Concurrent_identical_queries_share_one_network_query()
    {
        await using var server = AnsweringWithTtl(60, delay: TimeSpan.FromMilliseconds(300));
        var client = server.CreateClient(o =>
        {
            o.TimeProvider = new ManualTimeProvider();
            o.UseCache = false;
        });

        Task<IDnsQueryResponse>[] queries = Enumerable.Range(0, 25)
            .Select(_ => client.QueryAsync("shared.example", QueryType.A, TestContext.Token))
            .ToArray();
        IDnsQueryResponse[] responses = await Task.WhenAll(queries);

        Assert.Equal(1, server.UdpQueries);
        Assert.All(responses, r => Assert.Same(responses[0], r));

        await client.QueryAsync("shared.example", QueryType.A, TestContext.Token);
        Assert.Equal(2, server.UdpQueries);
    }

    [Fact]
    public async Task A_cancelled_waiter_does_not_cancel_the_shared_query()
    {
        await using var server = AnsweringWithTtl(60, delay: TimeSpan.FromMilliseconds(300));
        var client = server.CreateClient(o => o.TimeProvider = new ManualTimeProvider());
        using var cancel = new CancellationTokenSource();

        Task<IDnsQueryResponse> impatient = client.QueryAsync("shared.example", QueryType.A, cancel.Token);
        Task<IDnsQueryResponse> patient = client.QueryAsync("shared.example", QueryType.A, TestContext.Token);
        // Cancelled once both wait on the one query (the server holds its answer 300 ms), not on a timer
        // that a slow machine could let fire before the second waiter has joined.
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => impatient);
        Assert.Single((await patient).Answers);
        Assert.Equal(1, server.UdpQueries);
    }
}
