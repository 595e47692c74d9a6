using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MtaCluster.Node.Admin;

/// <summary>
/// The node's admin endpoint: Kestrel on <see cref="AdminOptions.Listen"/>, every request checked
/// for the bearer token, the JSON API under /api/ and Prometheus text at /metrics. A web host of its
/// own (an empty builder: Kestrel and routing, nothing else), so the node's generic host and its
/// services stay as they are and the endpoint adds only what it uses to the start-up.
/// </summary>
public sealed class AdminEndpointService(
    AdminOptions options,
    AdminToken token,
    AdminApi api,
    IEnumerable<IAdminRoutes> moreRoutes,
    ILoggerFactory loggerFactory) : IHostedService, IAsyncDisposable
{
    private readonly ILogger _logger = loggerFactory.CreateLogger("MtaCluster.Node.Admin");
    private WebApplication? _app;

    /// <summary>The address it listens on once started (the port chosen when the configured one was 0).</summary>
    public Uri? Address { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!AdminListenAddress.TryParse(options.Listen, out var endpoint))
            throw new InvalidOperationException($"Admin:Listen '{options.Listen}' is not {AdminListenAddress.Expected}");

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(endpoint);
            // An operator's tool and a scraper, not the public: small bodies, short waits.
            kestrel.Limits.MaxRequestBodySize = 64 * 1024;
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
            kestrel.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(30);
        });
        builder.Services.AddRoutingCore();
        builder.Services.AddSingleton(loggerFactory);
        var app = builder.Build();
        app.Use(RequireTokenAsync);
        app.UseRouting();
        api.Map(app);
        foreach (var routes in moreRoutes) routes.Map(app);
        // Anything else under the token is a mistake of the caller's: say so in the API's own shape.
        app.MapFallback((HttpContext c) => AdminResults.Error(c, StatusCodes.Status404NotFound, "not_found", $"no route {c.Request.Path}"));
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        _app = app;

        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        Address = bound is null ? null : new Uri(bound);
        api.ListenAddress = Address is null ? endpoint.ToString() : $"{Address.Host}:{Address.Port}";
        _logger.LogInformation("Admin endpoint listening on {Address} (token from {TokenSource}; /metrics {MetricsAccess})",
            Address?.ToString() ?? endpoint.ToString(), token.Source, options.PublicMetrics ? "public" : "needs the token");
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null) await _app.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync().ConfigureAwait(false);
        _app = null;
    }

    private async Task RequireTokenAsync(HttpContext context, RequestDelegate next)
    {
        if (options.PublicMetrics && context.Request.Path.Equals("/metrics", StringComparison.Ordinal))
        {
            await next(context).ConfigureAwait(false);
            return;
        }
        // The login form is how a browser gets its cookie: it checks the token itself.
        if (BrowserSession.IsExempt(context.Request.Path))
        {
            await next(context).ConfigureAwait(false);
            return;
        }
        var header = context.Request.Headers.Authorization.ToString();
        const string Scheme = "Bearer ";
        if (header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) && token.Matches(header.AsSpan(Scheme.Length).Trim()))
        {
            await next(context).ConfigureAwait(false);
            return;
        }
        // The status page's cookie is good for reads only, so no form on another site can drive an action.
        var cookie = BrowserSession.Presented(context);
        if (cookie is not null && BrowserSession.IsRead(context) && token.MatchesSession(cookie))
        {
            await next(context).ConfigureAwait(false);
            return;
        }
        if (header.Length == 0 && BrowserSession.IsPage(context))
        {
            await BrowserSession.WriteLoginAsync(context, StatusCodes.Status401Unauthorized, refused: false).ConfigureAwait(false);
            return;
        }
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Bearer";
        var error = header.Length > 0 ? new AdminError("unauthorized", "the admin token was refused")
            : cookie is not null && !BrowserSession.IsRead(context)
                ? new AdminError("unauthorized", "the status page's session is good for reading only: this needs Authorization: Bearer <token>")
            : new AdminError("unauthorized", "this endpoint needs the admin token: Authorization: Bearer <token>");
        await context.Response.WriteAsJsonAsync(error, AdminJson.Options, context.RequestAborted).ConfigureAwait(false);
    }
}
