using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using MtaCluster.Actors;
using MtaCluster.Actors.Sharding;
using MtaCluster.Delivery.Domains;
using MtaCluster.Delivery.Lifecycle;
using MtaCluster.Delivery.Policies;
using MtaCluster.Node.Hosting;
using MtaCluster.Storage;

namespace MtaCluster.Node.Admin;

/// <summary>
/// The JSON API under /api/: each answer is read from the store (the queue as every node sees it)
/// and from this node's own state (its entities, its policies). See each route for what it costs.
/// </summary>
public sealed class AdminApi(
    IQueueStore store,
    NodeOptions node,
    ShardingOptions sharding,
    DomainPolicyHolder policies,
    DeliveryEngine engine,
    PrometheusExporter exporter,
    Func<int> shardsOwned,
    IClusterStatusSource? cluster = null,
    TimeProvider? time = null,
    DomainPlacement? placement = null,
    LiveDomainStates? live = null)
{
    public const int DefaultTopCount = 10;
    public const int MaxTopCount = 1000;
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(2);

    /// <summary>The most a caller may let an answer be (<c>max_age</c>, in seconds): the status page's polls share a read.</summary>
    public static readonly TimeSpan MaxAnswerAge = TimeSpan.FromSeconds(60);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly RecentRead<QueueSummary> _summary = new(store.GetQueueSummaryAsync, time ?? TimeProvider.System);
    // Per count asked for: the page always asks for its ten.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, RecentRead<IReadOnlyList<DomainQueue>>> _top = new();
    private readonly DateTimeOffset _upSince = new(Process.GetCurrentProcess().StartTime.ToUniversalTime(), TimeSpan.Zero);

    /// <summary>Where the endpoint listens (set once Kestrel has bound), shown as this node's address.</summary>
    public string ListenAddress { get; set; } = "";

    public void Map(IEndpointRouteBuilder routes)
    {
        routes.MapGet("/api/cluster", (HttpContext c) => Json(c, GetClusterAsync(c.RequestAborted)));
        routes.MapGet("/api/queue", (HttpContext c) => MaxAge(c) is { } age
            ? Json(c, GetQueueAsync(c.RequestAborted, age))
            : Error(c, StatusCodes.Status400BadRequest, "bad_request", $"max_age must be a whole number of seconds from 0 to {MaxAnswerAge.TotalSeconds:0}"));
        routes.MapGet("/api/queue/top", (HttpContext c) =>
        {
            var n = DefaultTopCount;
            if (c.Request.Query.TryGetValue("n", out var value)
                && (!int.TryParse(value.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out n) || n < 1 || n > MaxTopCount))
            {
                return Error(c, StatusCodes.Status400BadRequest, "bad_request", $"n must be a whole number from 1 to {MaxTopCount}, not '{value}'");
            }
            if (MaxAge(c) is not { } age)
                return Error(c, StatusCodes.Status400BadRequest, "bad_request", $"max_age must be a whole number of seconds from 0 to {MaxAnswerAge.TotalSeconds:0}");
            // Live state is memory of the owners, asked over their endpoints: only when wanted (pbm's top, not the page's poll).
            var withLive = c.Request.Query.TryGetValue("live", out var l) && l.ToString() is "true" or "1";
            return Json(c, GetTopAsync(n, c.RequestAborted, withLive ? c.Request.Headers.Authorization.ToString() : null, age));
        });
        routes.MapGet("/api/domains/{domain}", (HttpContext c, string domain) =>
            Json(c, GetDomainAsync(domain, c.RequestAborted)));
        routes.MapGet("/api/messages/{id}", async (HttpContext c, string id) =>
        {
            var message = await GetMessageAsync(id, c.RequestAborted).ConfigureAwait(false);
            if (message is null)
            {
                await Error(c, StatusCodes.Status404NotFound, "not_found", $"no message {id} in the spool (never queued, or finished and removed)").ConfigureAwait(false);
                return;
            }
            await c.Response.WriteAsJsonAsync(message, AdminJson.Options, c.RequestAborted).ConfigureAwait(false);
        });
        routes.MapGet("/metrics", async (HttpContext c) =>
        {
            var text = await ScrapeAsync(c.RequestAborted).ConfigureAwait(false);
            c.Response.ContentType = PrometheusExporter.ContentType;
            await c.Response.WriteAsync(text, c.RequestAborted).ConfigureAwait(false);
        });
    }

    /// <summary>
    /// The nodes: on a single node (SQLite) itself, owning every shard; in a cluster every member from
    /// the nodes table with its live leases counted (one pass over shard_leases).
    /// </summary>
    public async Task<ClusterView> GetClusterAsync(CancellationToken cancellationToken)
    {
        var entities = await CountEntitiesAsync(cancellationToken).ConfigureAwait(false);
        if (cluster is null)
        {
            return new ClusterView("sqlite", sharding.MaxShards,
                [new ClusterNodeView(node.EffectiveName, ListenAddress, "up", sharding.MaxShards, entities, _upSince, Self: true, AdminAddress: ListenAddress)]);
        }
        var members = await cluster.GetMembersAsync(cancellationToken).ConfigureAwait(false);
        return new ClusterView("postgresql", sharding.MaxShards, members
            .Select(m => m.Name == node.EffectiveName
                ? m with { Address = ListenAddress, Entities = entities, Self = true, AdminAddress = ListenAddress }
                : m)
            .ToList());
    }

    /// <summary>Totals by recipient state and the oldest pending recipient: one pass over recipients (see <see cref="IQueueStore.GetQueueSummaryAsync"/>).</summary>
    /// <param name="maxAge">How old an answer may be: zero reads now; more may reuse a recent read.</param>
    public async Task<QueueView> GetQueueAsync(CancellationToken cancellationToken, TimeSpan maxAge = default)
    {
        var summary = await _summary.GetAsync(maxAge, cancellationToken).ConfigureAwait(false);
        var t = summary.Totals;
        return new QueueView(t.Messages, new RecipientTotals(t.Pending, t.Delivered, t.Failed, t.Expired),
            summary.OldestPendingQueuedAt, AgeSeconds(summary.OldestPendingQueuedAt));
    }

    /// <summary>
    /// The <paramref name="n"/> domains with most pending recipients; one grouping pass, then a seek or two
    /// per listed domain. With <paramref name="liveAuthorization"/> (the caller's header, possibly empty)
    /// also the first <see cref="LiveDomainStates.MaxDomains"/> domains' live state, from their owners.
    /// </summary>
    public async Task<TopDomainsView> GetTopAsync(int n, CancellationToken cancellationToken, string? liveAuthorization = null, TimeSpan maxAge = default)
    {
        var top = await _top.GetOrAdd(n, count => new RecentRead<IReadOnlyList<DomainQueue>>(ct => store.GetTopDomainsAsync(count, ct), _time))
            .GetAsync(maxAge, cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        var views = new List<DomainQueueView>(top.Count);
        foreach (var d in top)
        {
            var suspension = await store.GetDomainSuspensionAsync(d.Domain, cancellationToken).ConfigureAwait(false);
            views.Add(new DomainQueueView(d.Domain, d.Pending, d.OldestQueuedAt, AgeSeconds(d.OldestQueuedAt), d.LastReply, d.LastAttemptAt,
                suspension?.IsInForce(now) == true));
        }
        if (liveAuthorization is null || live is null) return new TopDomainsView(n, views);
        var (states, problems) = await live.GetAsync([.. views.Take(LiveDomainStates.MaxDomains).Select(v => v.Domain)],
            liveAuthorization, cancellationToken).ConfigureAwait(false);
        return new TopDomainsView(n, [.. views.Select(v => v with { Live = states.GetValueOrDefault(v.Domain) })], problems);
    }

    /// <summary>One domain: its queue (a range scan of its pending rows), its suspension, and the policy by name with why.</summary>
    public async Task<DomainView> GetDomainAsync(string domain, CancellationToken cancellationToken)
    {
        var name = DomainPolicyResolver.NormalizeDomain(domain);
        var queue = await store.GetDomainQueueAsync(name, cancellationToken).ConfigureAwait(false);
        var suspension = await store.GetDomainSuspensionAsync(name, cancellationToken).ConfigureAwait(false);
        var match = policies.Current.Resolver.Resolve(name);
        return new DomainView(name, placement?.ShardOf(name) ?? ShardHash.ShardOf(name, sharding.MaxShards), queue.Pending, queue.OldestQueuedAt, AgeSeconds(queue.OldestQueuedAt),
            queue.LastReply, queue.LastAttemptAt,
            suspension is null || !suspension.IsInForce(_time.GetUtcNow()) ? null : new SuspensionView(suspension.SuspendedAt, suspension.Until, suspension.Reason),
            Describe(match));
    }

    /// <summary>One message: its envelope (no body read), its recipients (one index range) and its completion (one seek); null when gone.</summary>
    public async Task<MessageView?> GetMessageAsync(string id, CancellationToken cancellationToken)
    {
        var message = await store.GetMessageAsync(id, cancellationToken).ConfigureAwait(false);
        if (message is null) return null;
        var recipients = await store.GetRecipientsAsync(id, cancellationToken).ConfigureAwait(false);
        var completion = await store.GetMessageCompletionAsync(id, cancellationToken).ConfigureAwait(false);
        var dsn = completion is null ? (recipients.Any(r => r.State == RecipientState.Pending) ? "pending" : "due")
            : !NotificationRules.MayNotify(message.ReversePath) || NotificationRules.FinalToReport(recipients).Count == 0 ? "none"
            : completion.Finished ? "queued"
            : "due";
        return new MessageView(message.Id, message.ReversePath, message.ReceivedAt, message.Body.Length, message.Tenant, message.Lane, message.Campaign,
            message.BodyType, message.SmtpUtf8, message.DsnReturn, message.EnvelopeId, message.ClientAddress, message.AuthenticatedUser,
            recipients.Select(r => new RecipientView(r.RecipientId, r.Address, r.Domain, r.State, r.Attempts, r.QueuedAt,
                r.State == RecipientState.Pending ? r.NextAttemptAt : null, r.LastAttemptAt, r.LastReply, r.RemoteMta, r.DelayNoticeAt,
                r.OriginalRecipient, r.Notify.ToString())).ToList(),
            dsn, completion?.CompletedAt, completion?.RetainedUntil);
    }

    /// <summary>
    /// The exposition: the instruments' counts since the node started, and, read now, the queue's depth
    /// by state (the summary's one pass over recipients), the shards owned and the running entities.
    /// </summary>
    public async Task<string> ScrapeAsync(CancellationToken cancellationToken)
    {
        var summary = await _summary.GetAsync(TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        var entities = await CountEntitiesAsync(cancellationToken).ConfigureAwait(false);
        var t = summary.Totals;
        var age = AgeSeconds(summary.OldestPendingQueuedAt) ?? 0;
        return exporter.Scrape(
        [
            new PrometheusExporter.Gauge("mta_queue_recipients", "Recipients in the spool by state (delivered includes relayed; finished mail is removed unless retained).",
            [
                (PrometheusExporter.Labels(("state", "pending")), t.Pending),
                (PrometheusExporter.Labels(("state", "delivered")), t.Delivered),
                (PrometheusExporter.Labels(("state", "failed")), t.Failed),
                (PrometheusExporter.Labels(("state", "expired")), t.Expired),
            ]),
            new PrometheusExporter.Gauge("mta_queue_messages", "Messages in the spool.", [("", t.Messages)]),
            new PrometheusExporter.Gauge("mta_queue_oldest_age_seconds", "Age of the oldest pending recipient; 0 when none is pending.", [("", age)]),
            new PrometheusExporter.Gauge("mta_shards_owned", "Shards this node owns (every shard on a node of its own).", [("", shardsOwned())]),
            new PrometheusExporter.Gauge("mta_active_entities", "Domain and message entities running on this node.", entities is { } n ? [("", n)] : []),
        ]);
    }

    internal static PolicyView Describe(DomainPolicyMatch match)
    {
        var p = match.Policy;
        var why = match.Kind switch
        {
            PolicyMatchKind.Exact => $"domains.yaml names {match.Domain}",
            PolicyMatchKind.Wildcard => $"{match.Domain} falls under the wildcard entry {p.Key}",
            PolicyMatchKind.MxPattern => $"{match.Domain}'s MX host matches {p.Key}; it shares the limits of {match.ThrottleKey}",
            _ => $"no entry names {match.Domain}: the default policy (an mx: pattern may still apply once its MX hosts are looked up)",
        };
        return new PolicyView(p.Key, match.Kind switch
            {
                PolicyMatchKind.Exact => "exact",
                PolicyMatchKind.Wildcard => "wildcard",
                PolicyMatchKind.MxPattern => "mx_pattern",
                _ => "default",
            },
            match.ThrottleKey, why,
            p.MaxConnections, p.MaxMessagesPerConnection, p.MaxRecipientsPerTransaction,
            p.MaxMessagesPerMinute, p.MaxMessagesPerHour, p.MaxNewConnectionsPerMinute,
            p.Retry.Intervals.Select(Duration).ToList(), Duration(p.Retry.ThenEvery), Duration(p.Retry.MaxAge),
            p.Tls.ToString().ToLowerInvariant(), p.EgressPool.Name, p.Route is null ? null : $"{p.Route.Host}:{p.Route.Port}");
    }

    private static string Duration(TimeSpan span) => span.ToString("c", CultureInfo.InvariantCulture);

    private long? AgeSeconds(DateTimeOffset? since) =>
        since is { } t ? Math.Max(0, (long)(_time.GetUtcNow() - t).TotalSeconds) : null;

    /// <summary>Running entities of both regions, asked of the regions themselves (no store read).</summary>
    public async Task<int?> CountEntitiesAsync(CancellationToken cancellationToken)
    {
        try
        {
            var count = (await engine.Domains.Ask<ShardRegionStats>(GetShardRegionStats.Instance, AskTimeout, cancellationToken).ConfigureAwait(false)).EntityCount;
            if (engine.Messages is { } messages)
                count += (await messages.Ask<ShardRegionStats>(GetShardRegionStats.Instance, AskTimeout, cancellationToken).ConfigureAwait(false)).EntityCount;
            return count;
        }
        catch (AskTimeoutException)
        {
            return null;
        }
    }

    private static Task Json<T>(HttpContext context, Task<T> answer) => AdminResults.Json(context, answer);

    /// <summary>The <c>max_age</c> asked for (none: zero, read now), or null when it is not a number of seconds in range.</summary>
    private static TimeSpan? MaxAge(HttpContext context)
    {
        if (!context.Request.Query.TryGetValue("max_age", out var value)) return TimeSpan.Zero;
        return int.TryParse(value.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds <= MaxAnswerAge.TotalSeconds
            ? TimeSpan.FromSeconds(seconds)
            : null;
    }

    private static Task Error(HttpContext context, int status, string error, string message) => AdminResults.Error(context, status, error, message);
}
