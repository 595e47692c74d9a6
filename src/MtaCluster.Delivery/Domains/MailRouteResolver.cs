using System.Net;
using System.Net.Sockets;
using MtaCluster.Delivery.Classification;
using MtaCluster.Delivery.Policies;
using MtaCluster.Dns;
using MtaCluster.Dns.MailRouting;
using MtaCluster.Dns.Protocol;
using MtaCluster.Mail;

namespace MtaCluster.Delivery.Domains;

/// <summary>One host to try, with its addresses in the order to try them.</summary>
public sealed record RouteHost(string HostName, IReadOnlyList<IPEndPoint> EndPoints);

/// <summary>Where mail for a domain goes, or why it cannot go anywhere.</summary>
public sealed record MailRoute(IReadOnlyList<RouteHost> Hosts, SmtpReply? Failure, bool IsPermanentFailure)
{
    public bool IsSuccess => Failure is null;
}

/// <summary>
/// Turns a destination into hosts to connect to: a static route (like a Postfix transport map,
/// no MX lookup), an address literal, or the domain's MX hosts (RFC 5321 §5.1) on the configured port.
/// </summary>
/// <remarks>
/// At most <paramref name="maxConcurrentLookups"/> resolutions run at once, node-wide: thousands of
/// domains waking together would otherwise send thousands of queries at the resolver in one burst,
/// which a local cache answers with SERVFAIL or drops, and every drop is a retry timeout later.
/// </remarks>
public sealed class MailRouteResolver(IMailHostResolver mailHosts, ILookupClient lookup, int remotePort, int maxConcurrentLookups = MailRouteResolver.DefaultMaxConcurrentLookups)
{
    public const int DefaultMaxConcurrentLookups = 64;

    private readonly SemaphoreSlim _lookups = new(
        maxConcurrentLookups > 0 ? maxConcurrentLookups : throw new ArgumentOutOfRangeException(nameof(maxConcurrentLookups)));

    /// <summary>Resolutions holding a lookup slot right now.</summary>
    public int LookupsInFlight => maxConcurrentLookups - _lookups.CurrentCount;

    public async Task<MailRoute> ResolveAsync(string domain, StaticRoute? staticRoute, CancellationToken cancellationToken)
    {
        if (staticRoute is null && TryParseAddressLiteral(domain, out _) || staticRoute is not null && IPAddress.TryParse(staticRoute.Host.Trim('[', ']'), out _))
        {
            // No DNS involved: no slot needed.
            return await ResolveUnthrottledAsync(domain, staticRoute, cancellationToken).ConfigureAwait(false);
        }
        await _lookups.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await ResolveUnthrottledAsync(domain, staticRoute, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _lookups.Release();
        }
    }

    private async Task<MailRoute> ResolveUnthrottledAsync(string domain, StaticRoute? staticRoute, CancellationToken cancellationToken)
    {
        if (staticRoute is not null)
        {
            return await ResolveStaticAsync(staticRoute, cancellationToken).ConfigureAwait(false);
        }
        if (TryParseAddressLiteral(domain, out var literal))
        {
            return new MailRoute([new RouteHost(domain, [new IPEndPoint(literal, remotePort)])], null, false);
        }
        var result = await mailHosts.ResolveMailHostsAsync(domain, cancellationToken).ConfigureAwait(false);
        if (!result.IsSuccess)
        {
            var permanent = result.Status == MailRoutingStatus.PermanentFailure;
            return new MailRoute([], new SmtpReply(permanent ? 550 : 451, EnhancedStatusCode.TryParse(result.EnhancedStatusCode, out var code) ? code : null, result.Reason), permanent);
        }
        var hosts = result.Hosts
            .Select(h => new RouteHost(h.HostName, h.Addresses.Select(a => new IPEndPoint(a, remotePort)).ToArray()))
            .ToArray();
        return new MailRoute(hosts, null, false);
    }

    private async Task<MailRoute> ResolveStaticAsync(StaticRoute route, CancellationToken cancellationToken)
    {
        var host = route.Host.Trim('[', ']');
        if (IPAddress.TryParse(host, out var address))
        {
            return new MailRoute([new RouteHost(route.Host, [new IPEndPoint(address, route.Port)])], null, false);
        }
        var endpoints = new List<IPEndPoint>();
        try
        {
            foreach (var type in new[] { QueryType.AAAA, QueryType.A })
            {
                var response = await lookup.QueryAsync(host, type, cancellationToken).ConfigureAwait(false);
                foreach (var record in response.Answers)
                {
                    if (record is Dns.Records.AaaaRecord aaaa) endpoints.Add(new IPEndPoint(aaaa.Address, route.Port));
                    else if (record is Dns.Records.ARecord a) endpoints.Add(new IPEndPoint(a.Address, route.Port));
                }
            }
        }
        catch (DnsException ex)
        {
            return new MailRoute([], new SmtpReply(451, new EnhancedStatusCode(4, 4, 3), $"cannot resolve route {route}: {ex.Message}"), false);
        }
        return endpoints.Count == 0
            ? new MailRoute([], new SmtpReply(451, new EnhancedStatusCode(4, 4, 4), $"route {route} has no address"), false)
            : new MailRoute([new RouteHost(host, endpoints)], null, false);
    }

    /// <summary>RFC 5321 §4.1.3: "[192.0.2.1]" or "[IPv6:2001:db8::1]".</summary>
    public static bool TryParseAddressLiteral(string domain, out IPAddress address)
    {
        address = IPAddress.None;
        if (domain.Length < 3 || domain[0] != '[' || domain[^1] != ']') return false;
        var inner = domain[1..^1];
        if (inner.StartsWith("IPv6:", StringComparison.OrdinalIgnoreCase))
        {
            return IPAddress.TryParse(inner[5..], out address!) && address.AddressFamily == AddressFamily.InterNetworkV6;
        }
        return IPAddress.TryParse(inner, out address!) && address.AddressFamily == AddressFamily.InterNetwork;
    }
}
