using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using MtaCluster.Storage;

namespace MtaCluster.Node.Admin;

/// <summary>
/// The status page's reads beside <see cref="AdminApi"/>'s: this node's throughput history
/// (<c>/api/throughput</c>, from memory) and the suspensions in force (<c>/api/suspensions</c>,
/// one small table scan).
/// </summary>
public sealed class StatusRoutes(IQueueStore store, ThroughputHistory throughput, string nodeName, TimeProvider time) : IAdminRoutes
{
    public const int DefaultSuspensionCount = 100;
    public const int MaxSuspensionCount = 1000;

    public void Map(IEndpointRouteBuilder routes)
    {
        routes.MapGet("/api/throughput", (HttpContext c) =>
            AdminResults.Json(c, new ThroughputView(throughput.BucketSeconds, nodeName, throughput.Snapshot())));
        routes.MapGet("/api/suspensions", (HttpContext c) =>
        {
            var n = DefaultSuspensionCount;
            if (c.Request.Query.TryGetValue("n", out var value)
                && (!int.TryParse(value.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out n) || n < 1 || n > MaxSuspensionCount))
            {
                return AdminResults.Error(c, StatusCodes.Status400BadRequest, "bad_request", $"n must be a whole number from 1 to {MaxSuspensionCount}, not '{value}'");
            }
            return AdminResults.Json(c, GetSuspensionsAsync(n, c.RequestAborted));
        });
    }

    public async Task<SuspensionsView> GetSuspensionsAsync(int n, CancellationToken cancellationToken)
    {
        var suspensions = await store.GetSuspendedDomainsAsync(time.GetUtcNow(), n, cancellationToken).ConfigureAwait(false);
        return new SuspensionsView(suspensions.Select(s => new SuspendedDomainView(s.Domain, s.SuspendedAt, s.Until, s.Reason)).ToList());
    }
}

/// <param name="Until">When the suspension ends by itself; null when it lasts until resumed.</param>
public sealed record SuspendedDomainView(string Domain, DateTimeOffset SuspendedAt, DateTimeOffset? Until, string? Reason);

public sealed record SuspensionsView(IReadOnlyList<SuspendedDomainView> Suspensions);
