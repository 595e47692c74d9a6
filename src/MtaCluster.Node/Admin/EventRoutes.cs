using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MtaCluster.Delivery.Accounting;
using MtaCluster.Delivery.Policies;

namespace MtaCluster.Node.Admin;

/// <summary>
/// <c>GET /api/events?domain=D&amp;type=T</c>: this node's accounting records as they happen, as
/// server-sent events (one record per <c>data:</c> line, in the accounting log's own JSON), until the
/// client goes or the node stops. A comment line every <see cref="HeartbeatInterval"/> keeps proxies from
/// closing a quiet stream. A client that reads too slowly loses records, and is told how many in a
/// <c>{"type":"dropped","count":N}</c> record: delivery never waits for it.
/// </summary>
public sealed class EventRoutes(AccountingEventFeed feed, TimeSpan? heartbeat = null) : IAdminRoutes
{
    public static readonly TimeSpan DefaultHeartbeatInterval = TimeSpan.FromSeconds(15);

    public TimeSpan HeartbeatInterval { get; } = heartbeat ?? DefaultHeartbeatInterval;

    private static readonly string[] Types = Enum.GetValues<AccountingRecordType>()
        .Select(t => JsonSerializer.Serialize(t, AccountingJsonContext.Default.AccountingRecordType).Trim('"')).ToArray();

    public void Map(IEndpointRouteBuilder routes) => routes.MapGet("/api/events", StreamAsync);

    private async Task StreamAsync(HttpContext context)
    {
        string? domain = null;
        AccountingRecordType? type = null;
        if (context.Request.Query.TryGetValue("domain", out var d) && d.ToString().Length > 0)
            domain = DomainPolicyResolver.NormalizeDomain(d.ToString());
        if (context.Request.Query.TryGetValue("type", out var t) && t.ToString().Length > 0)
        {
            var index = Array.IndexOf(Types, t.ToString().ToLowerInvariant());
            if (index < 0)
            {
                await AdminResults.Error(context, StatusCodes.Status400BadRequest, "bad_request",
                    $"type must be one of {string.Join(", ", Types)}, not '{t}'").ConfigureAwait(false);
                return;
            }
            type = Enum.GetValues<AccountingRecordType>()[index];
        }

        // The stream ends with the node too: Kestrel would otherwise wait out its shutdown timeout for it.
        var stopping = context.RequestServices.GetService<IHostApplicationLifetime>()?.ApplicationStopping ?? CancellationToken.None;
        using var end = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        var token = end.Token;
        using var subscription = feed.Subscribe(domain is null && type is null ? null
            : r => (domain is null || string.Equals(r.Domain, domain, StringComparison.Ordinal)) && (type is null || r.Type == type));

        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        // Nginx and its kind buffer responses unless told not to; a stream must not wait in a buffer.
        response.Headers["X-Accel-Buffering"] = "no";
        try
        {
            // The subscription is in place before the first byte: a client that has read it misses nothing after.
            await response.WriteAsync(": subscribed\n\n", token).ConfigureAwait(false);
            await response.Body.FlushAsync(token).ConfigureAwait(false);
            var reader = subscription.Reader;
            var more = reader.WaitToReadAsync(token).AsTask();
            while (true)
            {
                using (var beat = new CancellationTokenSource())
                {
                    var heartbeat = Task.Delay(HeartbeatInterval, beat.Token);
                    if (await Task.WhenAny(more, heartbeat).ConfigureAwait(false) == heartbeat)
                    {
                        await response.WriteAsync(": heartbeat\n\n", token).ConfigureAwait(false);
                        await response.Body.FlushAsync(token).ConfigureAwait(false);
                        continue;
                    }
                    await beat.CancelAsync().ConfigureAwait(false);
                }
                if (!await more.ConfigureAwait(false)) break;
                while (reader.TryRead(out var record))
                {
                    await response.WriteAsync("data: ", token).ConfigureAwait(false);
                    await response.WriteAsync(JsonSerializer.Serialize(record, AccountingJsonContext.Default.AccountingRecord), token).ConfigureAwait(false);
                    await response.WriteAsync("\n\n", token).ConfigureAwait(false);
                }
                // Lost ones were offered after those just written (the queue was full of them).
                if (subscription.TakeDropped() is var dropped and > 0)
                    await response.WriteAsync($"data: {{\"type\":\"dropped\",\"count\":{dropped}}}\n\n", token).ConfigureAwait(false);
                await response.Body.FlushAsync(token).ConfigureAwait(false);
                more = reader.WaitToReadAsync(token).AsTask();
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The client went, or the node is stopping: the end of the stream, not a failure.
        }
    }
}
