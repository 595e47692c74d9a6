using System.Diagnostics;
using MtaCluster.Dns.Protocol;
using MtaCluster.Dns.Tests.Infrastructure;

namespace MtaCluster.Dns.Tests.Benchmarks;

public sealed record DnsLookupBenchmarkResult(string Scenario, int Lookups, TimeSpan Elapsed)
{
    public double LookupsPerSecond => Lookups / Elapsed.TotalSeconds;

    public override string ToString() => $"{Scenario}: {Lookups} lookups in {Elapsed.TotalMilliseconds:0} ms = {LookupsPerSecond:0} lookups/s";
}

/// <summary>
/// Throughput of <see cref="LookupClient"/> against a dnsmasq on loopback, cached and uncached. The quick
/// test below keeps it compiling and working; for real figures run <see cref="RunAllAsync"/> with
/// larger counts from a scratch program (see the test's comment).
/// </summary>
public static class DnsLookupBenchmark
{
    private static readonly (string Name, QueryType Type)[] Queries =
    [
        ("example.net", QueryType.MX),
        ("mx1.example.net", QueryType.A),
        ("mx1.example.net", QueryType.AAAA),
        ("mx2.example.net", QueryType.A),
        ("implicit.test", QueryType.A),
        ("txt.example.net", QueryType.TXT),
        ("mxa.shuffle.test", QueryType.A),
        ("mxb.shuffle.test", QueryType.A),
    ];

    public static async Task<IReadOnlyList<DnsLookupBenchmarkResult>> RunAllAsync(
        System.Net.IPEndPoint server, int lookups, int concurrency, CancellationToken cancellationToken = default)
    {
        var uncached = new LookupClient(new LookupClientOptions { NameServers = { server }, UseCache = false });
        var cached = new LookupClient(new LookupClientOptions { NameServers = { server }, UseCache = true });
        await RunAsync("warm-up", uncached, Math.Min(lookups, 200), 1, cancellationToken);
        await RunAsync("warm-up", cached, Math.Min(lookups, 200), 1, cancellationToken);

        return
        [
            await RunAsync("uncached, sequential", uncached, lookups, 1, cancellationToken),
            await RunAsync($"uncached, {concurrency} concurrent", uncached, lookups, concurrency, cancellationToken),
            await RunAsync("cached, sequential", cached, lookups * 20, 1, cancellationToken),
            await RunAsync($"cached, {concurrency} concurrent", cached, lookups * 20, concurrency, cancellationToken),
        ];
    }

    public static async Task<DnsLookupBenchmarkResult> RunAsync(
        string scenario, LookupClient client, int lookups, int concurrency, CancellationToken cancellationToken = default)
    {
        int next = -1;
        var watch = Stopwatch.StartNew();
        var workers = new Task[concurrency];
        for (int w = 0; w < concurrency; w++)
        {
            workers[w] = Task.Run(
                async () =>
                {
                    int i;
                    while ((i = Interlocked.Increment(ref next)) < lookups)
                    {
                        (string name, QueryType type) = Queries[i % Queries.Length];
                        IDnsQueryResponse response = await client.QueryAsync(name, type, cancellationToken).ConfigureAwait(false);
                        if (response.Answers.Count == 0)
                        {
                            throw new InvalidOperationException($"No answer for {name} {type}.");
                        }
                    }
                },
                cancellationToken);
        }

        await Task.WhenAll(workers).ConfigureAwait(false);
        watch.Stop();
        return new DnsLookupBenchmarkResult(scenario, lookups, watch.Elapsed);
    }
}

[Collection(DnsmasqCollection.Name)]
public class DnsLookupBenchmarkTests
{
    private readonly DnsmasqFixture _dnsmasq;

    public DnsLookupBenchmarkTests(DnsmasqFixture dnsmasq) => _dnsmasq = dnsmasq;

    /// <summary>
    /// A short run proving the benchmark works; figures worth quoting come from a longer run
    /// (e.g. 20 000 uncached lookups, concurrency 8) against a dnsmasq started with the fixture's arguments.
    /// </summary>
    [Fact]
    public async Task Benchmark_runs_and_cache_is_faster_than_the_network()
    {
        IReadOnlyList<DnsLookupBenchmarkResult> results = await DnsLookupBenchmark.RunAllAsync(_dnsmasq.EndPoint, 200, 4, TestContext.Token);
        Assert.Equal(4, results.Count);
        Assert.All(results, r => Assert.True(r.LookupsPerSecond > 0));
        Assert.True(results[2].LookupsPerSecond > results[0].LookupsPerSecond, string.Join("; ", results));
    }
}
