using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace MtaCluster.Node.Admin;

/// <summary>
/// The status page at <c>/</c> (one HTML file with its CSS and script inline, embedded in the node:
/// no build step, nothing fetched from elsewhere) and the login that gives a browser its read-only
/// session (<see cref="BrowserSession"/>). The page polls the JSON API itself.
/// </summary>
public sealed class StatusPageRoutes(AdminToken token) : IAdminRoutes
{
    public const string ResourceName = "MtaCluster.Node.Admin.StatusPage.html";

    // The page makes requests to this node only: the policy holds it to that, so a mistake that
    // names another address fails here as it would on a machine with no way out.
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; " +
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    private static readonly Lazy<byte[]> Page = new(() =>
    {
        using var stream = typeof(StatusPageRoutes).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"the status page ({ResourceName}) is not embedded in the node");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    public void Map(IEndpointRouteBuilder routes)
    {
        routes.MapMethods("/", [HttpMethods.Get, HttpMethods.Head], async (HttpContext c) =>
        {
            PageHeaders(c.Response);
            c.Response.ContentType = "text/html; charset=utf-8";
            c.Response.ContentLength = Page.Value.Length;
            if (HttpMethods.IsHead(c.Request.Method)) return;
            await c.Response.Body.WriteAsync(Page.Value, c.RequestAborted).ConfigureAwait(false);
        });
        routes.MapGet(BrowserSession.LoginPath, (HttpContext c) => BrowserSession.WriteLoginAsync(c, StatusCodes.Status200OK, refused: false));
        routes.MapPost(BrowserSession.LoginPath, async (HttpContext c) =>
        {
            if (!c.Request.HasFormContentType)
            {
                await AdminResults.Error(c, StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type",
                    "the login takes a form (application/x-www-form-urlencoded) with the field token").ConfigureAwait(false);
                return;
            }
            var form = await c.Request.ReadFormAsync(c.RequestAborted).ConfigureAwait(false);
            var presented = form["token"].ToString().Trim();
            if (presented.Length == 0 || !token.Matches(presented))
            {
                await BrowserSession.WriteLoginAsync(c, StatusCodes.Status401Unauthorized, refused: true).ConfigureAwait(false);
                return;
            }
            BrowserSession.Start(c, token);
            c.Response.StatusCode = StatusCodes.Status303SeeOther;
            c.Response.Headers.Location = "/";
        });
        // Exempt from the token like the login: ending one's own session needs no proof, and no site can do worse with it.
        routes.MapPost(BrowserSession.LogoutPath, (HttpContext c) =>
        {
            BrowserSession.End(c);
            c.Response.StatusCode = StatusCodes.Status303SeeOther;
            c.Response.Headers.Location = "/";
            return Task.CompletedTask;
        });
    }

    /// <summary>Headers of every HTML answer: never cached (it is live data), never framed, nothing fetched from elsewhere.</summary>
    public static void PageHeaders(HttpResponse response)
    {
        response.Headers.CacheControl = "no-store";
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.XFrameOptions = "DENY";
        response.Headers["Referrer-Policy"] = "no-referrer";
    }
}
