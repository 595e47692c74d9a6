using System.Net;
using MtaCluster.Delivery.Domains;
using MtaCluster.Dns;
using MtaCluster.Dns.MailRouting;

namespace MtaCluster.Delivery.Tests;

public sealed class MailRouteResolverTests
{
    /// <summary>A resolver that holds every lookup until released, counting how many run at once.</summary>
    private sealed class GatedResolver : IMailHostResolver
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _running;
        private int _peak;
        private int _started;

        public int Peak => Volatile.Read(ref _peak);
        public int Started => Volatile.Read(ref _started);

        public void Release() => _release.TrySetResult();

        public async Task<MailRoutingResult> ResolveMailHostsAsync(string domain, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _started);
            var running = Interlocked.Increment(ref _running);
            int peak;
            while ((peak = Volatile.Read(ref _peak)) < running && Interlocked.CompareExchange(ref _peak, running, peak) != peak) { }
            try
            {
                await _release.Task.WaitAsync(cancellationToken);
                return MailRoutingResult.Temporary(domain, "4.4.3", "test resolver");
            }
            finally
            {
                Interlocked.Decrement(ref _running);
            }
        }
    }

    [Fact]
    public async Task No_more_route_lookups_run_at_once_than_the_cap_and_every_waiting_one_still_completes()
    {
        var resolver = new GatedResolver();
        var lookup = new LookupClient(new LookupClientOptions { NameServers = { new IPEndPoint(IPAddress.Loopback, 9) } });
        var routes = new MailRouteResolver(resolver, lookup, 25, maxConcurrentLookups: 8);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var resolutions = Enumerable.Range(0, 200).Select(i => routes.ResolveAsync($"d{i}.test", null, timeout.Token)).ToArray();
        while (resolver.Started < 8) await Task.Delay(10, timeout.Token);
        Assert.Equal(8, routes.LookupsInFlight);
        Assert.Equal(8, resolver.Started);

        resolver.Release();
        var results = await Task.WhenAll(resolutions);
        Assert.All(results, r => Assert.Equal("4.4.3", r.Failure!.EnhancedCode?.ToString()));
        Assert.Equal(200, resolver.Started);
        Assert.Equal(8, resolver.Peak);
        Assert.Equal(0, routes.LookupsInFlight);
    }

    [Fact]
    public async Task Address_literals_need_no_lookup_slot()
    {
        var resolver = new GatedResolver();
        var lookup = new LookupClient(new LookupClientOptions { NameServers = { new IPEndPoint(IPAddress.Loopback, 9) } });
        var routes = new MailRouteResolver(resolver, lookup, 25, maxConcurrentLookups: 1);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var blocked = routes.ResolveAsync("waits.test", null, timeout.Token);
        while (resolver.Started < 1) await Task.Delay(10, timeout.Token);

        var literal = await routes.ResolveAsync("[192.0.2.1]", null, timeout.Token);
        Assert.Equal(IPAddress.Parse("192.0.2.1"), Assert.Single(Assert.Single(literal.Hosts).EndPoints).Address);
        Assert.False(blocked.IsCompleted);
        resolver.Release();
        await blocked;
    }
}
