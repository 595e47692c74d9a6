using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using MtaCluster.Actors;
using MtaCluster.Actors.Sharding;
using MtaCluster.Delivery.Domains;
using MtaCluster.Node.Hosting;

namespace MtaCluster.Node.Admin;

/// <summary>
/// What only a domain's running entity knows (the policy its MX hosts put it under, a backoff, its open
/// connections) is in the memory of the node that owns the domain's shard. This node answers for its
/// own domains at <c>GET /api/live/domains?domain=D[&amp;domain=E…]</c> and asks the owners of the others
/// there, one request per owner, with the caller's own token: in a cluster whose nodes share one
/// <c>Admin:Token</c> any node shows every domain's live state, and otherwise each answer names the node
/// that refused.
/// </summary>
public sealed class LiveDomainStates(
    DeliveryEngine engine,
    NodeOptions node,
    Func<string, int> shardOf,
    IClusterStatusSource? cluster = null) : IAdminRoutes
{
    /// <summary>At most this many domains in one answer: each is an ask of a running entity.</summary>
    public const int MaxDomains = 100;

    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan OwnerTimeout = TimeSpan.FromSeconds(3);

    // One pool for every owner asked: a connection per owner node, kept for the next question.
    private static readonly HttpClient Owners = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2) })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    public void Map(IEndpointRouteBuilder routes) => routes.MapGet("/api/live/domains", async (HttpContext c) =>
    {
        var domains = c.Request.Query["domain"].Where(d => !string.IsNullOrEmpty(d)).Select(d => d!).Distinct(StringComparer.Ordinal).ToList();
        if (domains.Count is 0 or > MaxDomains)
        {
            await AdminResults.Error(c, StatusCodes.Status400BadRequest, "bad_request", $"domain: from 1 to {MaxDomains} of them, not {domains.Count}").ConfigureAwait(false);
            return;
        }
        await AdminResults.Json(c, new LiveDomainsView(node.EffectiveName, await LocalAsync(domains, c.RequestAborted).ConfigureAwait(false))).ConfigureAwait(false);
    });

    /// <summary>The live state of those of <paramref name="domains"/> whose shard this node owns.</summary>
    public async Task<Dictionary<string, LiveDomainView>> LocalAsync(IEnumerable<string> domains, CancellationToken cancellationToken)
    {
        var live = new Dictionary<string, LiveDomainView>(StringComparer.Ordinal);
        foreach (var domain in domains)
        {
            if (!engine.IsLocalDomain(domain)) continue;
            try
            {
                var status = await engine.Domains.Ask<DomainStatus>(new GetDomainStatus(domain), AskTimeout, cancellationToken).ConfigureAwait(false);
                live[domain] = new LiveDomainView(node.EffectiveName, status.PolicyKey, status.ThrottleKey, status.Suspended, status.InBackoff,
                    status.ActiveConnections, status.MaxConnections, status.InFlight);
            }
            catch (AskTimeoutException)
            {
                // Busy: shown without its live state rather than holding the answer up.
            }
        }
        return live;
    }

    /// <summary>
    /// The live state of each of <paramref name="domains"/> from the node owning it: this one's asked here,
    /// the others' asked of their owners with <paramref name="authorization"/> (the caller's header).
    /// Problems are the owners that could not be asked, in words; their domains are left out.
    /// </summary>
    public async Task<(Dictionary<string, LiveDomainView> Live, List<string> Problems)> GetAsync(
        IReadOnlyList<string> domains, string? authorization, CancellationToken cancellationToken)
    {
        var live = await LocalAsync(domains, cancellationToken).ConfigureAwait(false);
        var problems = new List<string>();
        var remote = domains.Where(d => !engine.IsLocalDomain(d)).ToList();
        if (remote.Count == 0 || cluster is null) return (live, problems);

        var leases = await cluster.GetLeaseOwnersAsync(cancellationToken).ConfigureAwait(false);
        var members = await cluster.GetMembersAsync(cancellationToken).ConfigureAwait(false);
        var byOwner = remote.GroupBy(d => leases.GetValueOrDefault(shardOf(d)), StringComparer.Ordinal);
        var asks = new List<Task<(Dictionary<string, LiveDomainView>? Live, string? Problem)>>();
        foreach (var group in byOwner)
        {
            if (group.Key is null)
            {
                problems.Add($"{string.Join(", ", group)}: no node holds the shard's lease now");
                continue;
            }
            var address = members.FirstOrDefault(m => m.Name == group.Key)?.AdminAddress;
            if (string.IsNullOrEmpty(address) || group.Key == node.EffectiveName)
            {
                problems.Add($"{group.Key}: it publishes no admin address (its endpoint is off, or it runs an older version)");
                continue;
            }
            asks.Add(AskOwnerAsync(group.Key, address, [.. group], authorization, cancellationToken));
        }
        foreach (var (answer, problem) in await Task.WhenAll(asks).ConfigureAwait(false))
        {
            if (problem is not null) problems.Add(problem);
            foreach (var (domain, view) in answer ?? []) live[domain] = view;
        }
        return (live, problems);
    }

    internal static async Task<(Dictionary<string, LiveDomainView>? Live, string? Problem)> AskOwnerAsync(
        string owner, string address, IReadOnlyList<string> domains, string? authorization, CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(OwnerTimeout);
        var query = string.Join('&', domains.Select(d => "domain=" + Uri.EscapeDataString(d)));
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{address}/api/live/domains?{query}");
        if (authorization is not null && AuthenticationHeaderValue.TryParse(authorization, out var header)) request.Headers.Authorization = header;
        try
        {
            using var response = await Owners.SendAsync(request, bounded.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                var why = response.StatusCode == System.Net.HttpStatusCode.Unauthorized
                    ? "refused this token (give the nodes one Admin:Token to see across them)"
                    : $"answered {(int)response.StatusCode}";
                return (null, $"{owner} ({address}) {why}");
            }
            var answer = await response.Content.ReadFromJsonAsync<LiveDomainsView>(AdminJson.Options, bounded.Token).ConfigureAwait(false);
            return (answer?.Domains, null);
        }
        catch (Exception ex) when (ex is HttpRequestException or System.Text.Json.JsonException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return (null, $"{owner} ({address}) could not be asked: {(ex is OperationCanceledException ? $"no answer within {OwnerTimeout.TotalSeconds:0} s" : ex.Message)}");
        }
    }
}

/// <param name="Node">The node that answered.</param>
/// <param name="Domains">Those of the domains asked for whose shard it owns.</param>
public sealed record LiveDomainsView(string Node, Dictionary<string, LiveDomainView> Domains);
