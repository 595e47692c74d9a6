using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using MtaCluster.Actors;
using MtaCluster.Actors.Sharding;
using MtaCluster.Delivery.Domains;
using MtaCluster.Delivery.Policies;
using MtaCluster.Mail;
using MtaCluster.Node.Hosting;

namespace MtaCluster.Node.Admin;

/// <summary>
/// What only a domain's running entity knows (the policy its MX hosts put it under, a backoff, its open
/// connections) is in the memory of the node that owns the domain's shard. This node answers for its
/// own domains at <c>GET /api/live/domains?domain=D[&amp;domain=E…]</c> and asks the owners of the others
/// there, one request per owner, with the caller's own token: in a cluster whose nodes share one
/// <c>Admin:Token</c> any node shows every domain's live state, and otherwise each answer names the node
/// that refused. The token goes only to the admin addresses the members publish in their heartbeat
/// rows, in clear text like the rest of the endpoint: keep those addresses on a network of the cluster's own.
/// </summary>
public sealed class LiveDomainStates(
    DeliveryEngine engine,
    NodeOptions node,
    Func<string, int> shardOf,
    IClusterStatusSource? cluster = null) : IAdminRoutes
{
    /// <summary>At most this many domains in one answer: each is an ask of a running entity.</summary>
    public const int MaxDomains = 100;

    // The entities are asked all at once, within a time shorter than an owner's answer may take.
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(2);
    internal static readonly TimeSpan OwnerTimeout = TimeSpan.FromSeconds(5);

    // One pool for every owner asked: a connection per owner node, kept for the next question. A
    // redirect is not followed: the token is for the member asked, not wherever it points.
    private static readonly HttpClient Owners = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2), AllowAutoRedirect = false })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    public void Map(IEndpointRouteBuilder routes) => routes.MapGet("/api/live/domains", async (HttpContext c) =>
    {
        // In the form mail is filed under, as every domain route takes it.
        var domains = c.Request.Query["domain"].Where(d => !string.IsNullOrEmpty(d))
            .Select(d => RoutingDomain.From(DomainPolicyResolver.NormalizeDomain(d!)))
            .Where(d => d.Length > 0 && !d.Contains('@') && !d.Contains('/'))
            .Distinct(StringComparer.Ordinal).ToList();
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
        var asked = await Task.WhenAll(domains.Where(engine.IsLocalDomain).Select(async domain =>
        {
            try
            {
                var status = await engine.Domains.Ask<DomainStatus>(new GetDomainStatus(domain), AskTimeout, cancellationToken).ConfigureAwait(false);
                return (Domain: domain, View: new LiveDomainView(node.EffectiveName, status.PolicyKey, status.ThrottleKey, status.Suspended, status.InBackoff,
                    status.ActiveConnections, status.MaxConnections, status.InFlight));
            }
            catch (AskTimeoutException)
            {
                // Busy: shown without its live state rather than holding the answer up.
                return (Domain: domain, View: (LiveDomainView?)null);
            }
        })).ConfigureAwait(false);
        var live = new Dictionary<string, LiveDomainView>(StringComparer.Ordinal);
        foreach (var (domain, view) in asked)
        {
            if (view is not null) live[domain] = view;
        }
        return live;
    }

    /// <summary>
    /// The live state of each of <paramref name="domains"/> from the node owning it: this one's asked here,
    /// the others' asked of their owners with <paramref name="authorization"/> (the caller's header; empty: none).
    /// Problems are the owners that could not be asked, in words; their domains are left out.
    /// </summary>
    public async Task<(Dictionary<string, LiveDomainView> Live, List<string> Problems)> GetAsync(
        IReadOnlyList<string> domains, string? authorization, CancellationToken cancellationToken)
    {
        var live = await LocalAsync(domains, cancellationToken).ConfigureAwait(false);
        var problems = new List<string>();
        var remote = domains.Where(d => !engine.IsLocalDomain(d)).ToList();
        if (remote.Count == 0 || cluster is null) return (live, problems);

        if (string.IsNullOrEmpty(authorization))
        {
            problems.Add("the other nodes' domains: asked without a bearer token, so no other node was asked");
            return (live, problems);
        }
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
            if (group.Key == node.EffectiveName)
            {
                problems.Add($"{string.Join(", ", group)}: its shard is coming to this node and has no entity here yet");
                continue;
            }
            var address = members.FirstOrDefault(m => m.Name == group.Key)?.AdminAddress;
            if (string.IsNullOrEmpty(address))
            {
                problems.Add($"{group.Key}: it publishes no admin address (its endpoint is off, or it runs an older version)");
                continue;
            }
            asks.Add(AskOwnerAsync(group.Key, address, [.. group], authorization, OwnerTimeout, cancellationToken));
        }
        foreach (var (answer, problem) in await Task.WhenAll(asks).ConfigureAwait(false))
        {
            if (problem is not null) problems.Add(problem);
            foreach (var (domain, view) in answer ?? []) live[domain] = view;
        }
        return (live, problems);
    }

    internal static async Task<(Dictionary<string, LiveDomainView>? Live, string? Problem)> AskOwnerAsync(
        string owner, string address, IReadOnlyList<string> domains, string? authorization, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout);
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
            // An address such as 127.0.0.1:9110, published by every node of a cluster spread over hosts, reaches another node.
            if (answer?.Node != owner)
                return (null, $"{owner} publishes {address}, where {answer?.Node ?? "something else"} answered: give each node an Admin:Listen address the others reach it on");
            return (answer.Domains, null);
        }
        catch (Exception ex) when (ex is HttpRequestException or System.Text.Json.JsonException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return (null, $"{owner} ({address}) could not be asked: {(ex is OperationCanceledException ? $"no answer within {timeout.TotalSeconds:0} s" : ex.Message)}");
        }
    }
}

/// <param name="Node">The node that answered.</param>
/// <param name="Domains">Those of the domains asked for whose shard it owns.</param>
public sealed record LiveDomainsView(string Node, Dictionary<string, LiveDomainView> Domains);
