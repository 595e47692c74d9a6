using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using MtaCluster.Actors.Sharding;
using MtaCluster.Delivery.Domains;
using MtaCluster.Delivery.Lifecycle;
using MtaCluster.Delivery.Policies;
using MtaCluster.Mail;
using MtaCluster.Node.Hosting;
using MtaCluster.Storage;

namespace MtaCluster.Node.Admin;

/// <summary>
/// An operator's actions on one destination domain, from any node of the cluster: suspend, resume,
/// flush (retry now), purge, and the effective policy. Each writes its intent to the store first and
/// then tells the domain's entity (<see cref="DomainControlChanged"/>), here or, when another node owns
/// the domain's shard, through the store's wake-ups: the owner reads what changed from the store, so
/// a lost wake-up delays it (a delivering entity reads its suspension again every few seconds) and
/// loses nothing.
/// </summary>
public sealed partial class DomainActionRoutes(
    IQueueStore store,
    DeliveryEngine engine,
    DomainPolicyHolder policies,
    NodeOptions node,
    ShardingOptions sharding,
    ILogger<DomainActionRoutes> logger,
    MessageOperatorActions actions,
    LiveDomainStates live,
    DomainPlacement? placement = null,
    TimeProvider? time = null) : IAdminRoutes
{
    /// <summary>The longest suspension a duration may ask for; an operator who wants longer suspends until resumed.</summary>
    public static readonly TimeSpan MaxSuspension = TimeSpan.FromDays(366);

    public const int MaxReasonLength = 500;

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public void Map(IEndpointRouteBuilder routes)
    {
        routes.MapPost("/api/domains/{domain}/suspend", (HttpContext c, string domain) => WithDomain(c, domain, name => SuspendAsync(c, name)));
        routes.MapPost("/api/domains/{domain}/resume", (HttpContext c, string domain) => WithDomain(c, domain, name => ResumeAsync(c, name)));
        routes.MapPost("/api/domains/{domain}/flush", (HttpContext c, string domain) => WithDomain(c, domain, name => FlushAsync(c, name)));
        routes.MapGet("/api/domains/{domain}/policy", (HttpContext c, string domain) => WithDomain(c, domain, name => PolicyAsync(c, name)));
        routes.MapDelete("/api/domains/{domain}/queue", (HttpContext c, string domain) => WithDomain(c, domain, name => PurgeAsync(c, name)));
    }

    /// <summary>The domain in the form its mail is filed under (lower-case A-label), or a 400 naming it.</summary>
    private static Task WithDomain(HttpContext context, string domain, Func<string, Task> action)
    {
        var name = RoutingDomain.From(DomainPolicyResolver.NormalizeDomain(domain));
        if (string.IsNullOrEmpty(name) || name.Contains('@') || name.Contains('/'))
            return AdminResults.Error(context, StatusCodes.Status400BadRequest, "bad_request", $"domain: '{domain}' is not a domain name");
        return action(name);
    }

    private async Task SuspendAsync(HttpContext context, string domain)
    {
        SuspendRequest? request;
        try
        {
            request = context.Request.ContentLength is 0 or null && !context.Request.HasJsonContentType()
                ? null
                : await context.Request.ReadFromJsonAsync<SuspendRequest>(AdminJson.Options, context.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            await AdminResults.Error(context, StatusCodes.Status400BadRequest, "bad_request", $"body: not the JSON of {{ \"until\", \"reason\" }} ({ex.Message})").ConfigureAwait(false);
            return;
        }
        var now = _time.GetUtcNow();
        DateTimeOffset? until = null;
        if (!string.IsNullOrWhiteSpace(request?.Until))
        {
            if (ParseUntil(request.Until, now) is not { } parsed)
            {
                await AdminResults.Error(context, StatusCodes.Status400BadRequest, "bad_request",
                    $"until: '{request.Until}' is neither a time in ISO 8601 (2026-12-24T18:00:00Z) nor a duration from now (90s, 30m, 2h, 7d)").ConfigureAwait(false);
                return;
            }
            if (parsed <= now || parsed - now > MaxSuspension)
            {
                await AdminResults.Error(context, StatusCodes.Status400BadRequest, "bad_request",
                    $"until: {parsed:yyyy-MM-ddTHH:mm:ssZ} is {(parsed <= now ? "not in the future" : "more than 366 days away")}; leave it out to suspend until resumed").ConfigureAwait(false);
                return;
            }
            until = parsed;
        }
        var reason = string.IsNullOrWhiteSpace(request?.Reason) ? null : request.Reason.Trim();
        if (reason is { Length: > MaxReasonLength })
        {
            await AdminResults.Error(context, StatusCodes.Status400BadRequest, "bad_request", $"reason: at most {MaxReasonLength} characters, not {reason.Length}").ConfigureAwait(false);
            return;
        }
        var suspension = new DomainSuspension(domain, now, until, reason);
        await store.SuspendDomainAsync(suspension, context.RequestAborted).ConfigureAwait(false);
        engine.OnControlChanged(domain, DomainControlChange.Suspension);
        LogSuspended(domain, (object?)until ?? "resumed", reason ?? "no reason given");
        await AdminResults.Json(context, new DomainSuspendedView(domain, ShardOf(domain), true, now, until, reason, OwnerText(domain))).ConfigureAwait(false);
    }

    private async Task ResumeAsync(HttpContext context, string domain)
    {
        var before = await store.GetDomainSuspensionAsync(domain, context.RequestAborted).ConfigureAwait(false);
        await store.ResumeDomainAsync(domain, context.RequestAborted).ConfigureAwait(false);
        engine.OnControlChanged(domain, DomainControlChange.Suspension);
        var was = before?.IsInForce(_time.GetUtcNow()) == true;
        LogResumed(domain, was);
        await AdminResults.Json(context, new DomainResumedView(domain, ShardOf(domain), false, was, OwnerText(domain))).ConfigureAwait(false);
    }

    private async Task FlushAsync(HttpContext context, string domain)
    {
        var now = _time.GetUtcNow();
        var moved = await store.FlushDomainAsync(domain, now, context.RequestAborted).ConfigureAwait(false);
        engine.OnControlChanged(domain, DomainControlChange.Flush);
        // Every pending recipient is due now: those that were not, moved; the rest already were.
        var queue = await store.GetDomainQueueAsync(domain, context.RequestAborted).ConfigureAwait(false);
        var suspension = await store.GetDomainSuspensionAsync(domain, context.RequestAborted).ConfigureAwait(false);
        var suspended = suspension?.IsInForce(now) == true;
        LogFlushed(domain, moved, queue.Pending);
        await AdminResults.Json(context, new DomainFlushedView(domain, ShardOf(domain), queue.Pending, moved, suspended, OwnerText(domain))).ConfigureAwait(false);
    }

    private async Task PurgeAsync(HttpContext context, string domain)
    {
        if (!IsTrue(context.Request.Query["confirm"]))
        {
            var queue = await store.GetDomainQueueAsync(domain, context.RequestAborted).ConfigureAwait(false);
            await AdminResults.Json(context, new PurgeRefusedView("confirm_required",
                $"confirm: purging deletes the {queue.Pending} pending recipients of {domain} without a DSN; repeat with confirm=true", domain, queue.Pending),
                StatusCodes.Status400BadRequest).ConfigureAwait(false);
            return;
        }
        var purge = await actions.PurgeDomainAsync(domain, context.RequestAborted).ConfigureAwait(false);
        await AdminResults.Json(context, new DomainPurgedView(domain, ShardOf(domain), purge.Recipients.Count, purge.RemovedMessages, purge.Completed.Count)).ConfigureAwait(false);
    }

    private async Task PolicyAsync(HttpContext context, string domain)
    {
        var match = policies.Current.Resolver.Resolve(domain);
        var suspension = await store.GetDomainSuspensionAsync(domain, context.RequestAborted).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        // The entity knows what the configuration alone cannot: an MX pattern found by its MX hosts, a backoff.
        var (states, problems) = await live.GetAsync([domain], context.Request.Headers.Authorization.ToString(), context.RequestAborted).ConfigureAwait(false);
        await AdminResults.Json(context, new DomainPolicyView(domain, ShardOf(domain),
            AdminApi.Describe(match),
            suspension is null || !suspension.IsInForce(now) ? null : new SuspensionView(suspension.SuspendedAt, suspension.Until, suspension.Reason),
            states.GetValueOrDefault(domain), OwnerText(domain), problems.Count > 0 ? string.Join("; ", problems) : null)).ConfigureAwait(false);
    }

    /// <summary>
    /// An instant in ISO 8601 (with a zone, or UTC when it has none), or a duration from
    /// <paramref name="now"/>: a whole number of seconds, minutes, hours or days (90s, 30m, 2h, 7d).
    /// </summary>
    public static DateTimeOffset? ParseUntil(string text, DateTimeOffset now)
    {
        var trimmed = text.Trim();
        if (DurationPattern().Match(trimmed) is { Success: true } duration)
        {
            if (!long.TryParse(duration.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > 1_000_000_000) return null;
            var span = duration.Groups[2].Value switch
            {
                "s" => TimeSpan.FromSeconds(n),
                "m" => TimeSpan.FromMinutes(n),
                "h" => TimeSpan.FromHours(n),
                _ => TimeSpan.FromDays(n),
            };
            return span > MaxSuspension ? now + MaxSuspension + TimeSpan.FromSeconds(1) : now + span;
        }
        string[] formats = ["yyyy-MM-ddTHH:mm:ssK", "yyyy-MM-ddTHH:mm:ss.FFFFFFFK", "yyyy-MM-ddTHH:mmK", "yyyy-MM-dd HH:mm:ssK", "yyyy-MM-ddTHH:mm:ss", "yyyy-MM-ddTHH:mm", "yyyy-MM-dd"];
        return DateTimeOffset.TryParseExact(trimmed, formats, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at) ? at : null;
    }

    [GeneratedRegex("^([0-9]{1,10})([smhd])$")]
    private static partial Regex DurationPattern();

    private static bool IsTrue(Microsoft.Extensions.Primitives.StringValues value) =>
        value.Count == 1 && (value[0] is "true" or "1" or "yes");

    private int ShardOf(string domain) => placement?.ShardOf(domain) ?? ShardHash.ShardOf(domain, sharding.MaxShards);

    /// <summary>Where the change takes effect, in words: this node, or the owner told through the store.</summary>
    private string OwnerText(string domain) => engine.IsLocalDomain(domain) ? $"this node ({node.EffectiveName})" : "the owning node, told through the store";

    [LoggerMessage(Level = LogLevel.Information, Message = "operator: delivery to {Domain} suspended until {Until}: {Reason}")]
    private partial void LogSuspended(string domain, object until, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "operator: delivery to {Domain} resumed (it was suspended: {WasSuspended})")]
    private partial void LogResumed(string domain, bool wasSuspended);

    [LoggerMessage(Level = LogLevel.Information, Message = "operator: {Domain} flushed: {Moved} recipients made due now, {Pending} pending")]
    private partial void LogFlushed(string domain, int moved, long pending);
}
