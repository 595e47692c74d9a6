using System.Net;
using MtaCluster.Delivery.Policies;

namespace MtaCluster.Delivery.Tests;

public class PolicyPartsTests
{
    [Theory]
    [InlineData("90s", 90)]
    [InlineData("5m", 300)]
    [InlineData("1h30m", 5400)]
    [InlineData("5d", 432000)]
    [InlineData("1w", 604800)]
    [InlineData("1.5h", 5400)]
    [InlineData("250ms", 0.25)]
    [InlineData("00:05:00", 300)]
    [InlineData("1.00:00:00", 86400)]
    public void Durations(string text, double seconds)
    {
        Assert.True(DurationParser.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromSeconds(seconds), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("5")]
    [InlineData("5 minutes")]
    [InlineData("m5")]
    [InlineData("5x")]
    public void Not_durations(string text)
    {
        Assert.False(DurationParser.TryParse(text, out _));
    }

    [Theory]
    [InlineData("relay.example.net", "relay.example.net", 25)]
    [InlineData("Relay.Example.NET:587", "relay.example.net", 587)]
    [InlineData("192.0.2.1:2525", "192.0.2.1", 2525)]
    [InlineData("[2001:db8::1]", "2001:db8::1", 25)]
    [InlineData("[2001:db8::1]:465", "2001:db8::1", 465)]
    public void Routes(string text, string host, int port)
    {
        Assert.True(StaticRoute.TryParse(text, out var route, out _));
        Assert.Equal(new StaticRoute(host, port), route);
    }

    [Theory]
    [InlineData("")]
    [InlineData("host:0")]
    [InlineData("host:port")]
    [InlineData("2001:db8::1")]
    [InlineData("[not-ip]:25")]
    [InlineData("bad_host!:25")]
    public void Not_routes(string text)
    {
        Assert.False(StaticRoute.TryParse(text, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void Round_robin_cycles_through_the_pool()
    {
        var addresses = new[] { IPAddress.Parse("127.0.0.2"), IPAddress.Parse("127.0.0.3"), IPAddress.Parse("127.0.0.4") };
        var pool = new EgressPool("p", addresses, EgressPoolSelection.RoundRobin);
        var picks = Enumerable.Range(0, 6).Select(_ => pool.Select("ignored")).ToArray();
        Assert.Equal(addresses.Concat(addresses), picks);
    }

    [Fact]
    public void Hash_selection_is_stable_and_spreads()
    {
        var addresses = Enumerable.Range(1, 4).Select(i => IPAddress.Parse($"192.0.2.{i}")).ToArray();
        var pool = new EgressPool("p", addresses, EgressPoolSelection.Hash);
        Assert.Equal(pool.Select("example.com"), pool.Select("example.com"));
        // FNV-1a is fixed, so every node maps a domain to the same address.
        Assert.Equal(addresses[EgressPool.StableHash("example.com") % 4], pool.Select("example.com"));
        var used = Enumerable.Range(0, 100).Select(i => pool.Select($"domain{i}.test")).Distinct().Count();
        Assert.Equal(4, used);
    }
}
