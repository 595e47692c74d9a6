using System.Net;
using Microsoft.AspNetCore.Http;

namespace MtaCluster.Node.Admin;

/// <summary>
/// How a browser reaches the status page: it cannot send a bearer header on navigation, so the login
/// form takes the token once and answers with a cookie (<see cref="AdminToken.SessionValue"/>) that
/// the token check accepts for GET and HEAD only. HttpOnly keeps it from the page's scripts,
/// SameSite=Strict from other sites' requests; actions still need the bearer token.
/// </summary>
public static class BrowserSession
{
    public const string CookieName = "mta_admin_session";
    public const string LoginPath = "/login";
    public const string LogoutPath = "/logout";

    public static bool IsExempt(PathString path) =>
        path.Equals(LoginPath, StringComparison.Ordinal) || path.Equals(LogoutPath, StringComparison.Ordinal);

    public static bool IsRead(HttpContext context) =>
        HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method);

    /// <summary>The page itself, where a browser without a session is shown the login form instead of an API error.</summary>
    public static bool IsPage(HttpContext context) => IsRead(context) && context.Request.Path.Equals("/", StringComparison.Ordinal);

    public static string? Presented(HttpContext context) =>
        context.Request.Cookies.TryGetValue(CookieName, out var value) && !string.IsNullOrEmpty(value) ? value : null;

    public static void Start(HttpContext context, AdminToken token) =>
        context.Response.Cookies.Append(CookieName, token.SessionValue(), new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Path = "/",
            // The endpoint speaks plain HTTP (loopback or behind the operator's own tunnel): Secure would never be sent back.
            Secure = false,
            IsEssential = true,
        });

    public static void End(HttpContext context) =>
        context.Response.Cookies.Delete(CookieName, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/" });

    /// <summary>The login form: nothing about the node on it but that it needs the token.</summary>
    public static Task WriteLoginAsync(HttpContext context, int status, bool refused)
    {
        context.Response.StatusCode = status;
        // A 401 names its scheme; browsers prompt only for Basic and the like, so this one shows the form.
        if (status == StatusCodes.Status401Unauthorized) context.Response.Headers.WWWAuthenticate = "Bearer";
        StatusPageRoutes.PageHeaders(context.Response);
        context.Response.ContentType = "text/html; charset=utf-8";
        var message = refused ? "<p class=\"refused\" id=\"login-refused\" role=\"alert\">token refused</p>" : "";
        return context.Response.WriteAsync($$"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>MtaCluster status: log in</title>
            <style>
            body { font: 15px/1.4 system-ui, sans-serif; background: #f3f4f6; color: #111827; margin: 0; }
            form { max-width: 22rem; margin: 12vh auto; background: #fff; border: 1px solid #d1d5db; border-radius: 6px; padding: 1.5rem 1.75rem; }
            h1 { font-size: 1.15rem; margin: 0 0 .75rem; }
            label { display: block; margin: .75rem 0 .25rem; color: #374151; }
            input { width: 100%; box-sizing: border-box; padding: .45rem .5rem; font: inherit; border: 1px solid #9ca3af; border-radius: 4px; }
            button { margin-top: 1rem; padding: .45rem 1rem; font: inherit; background: #1d4ed8; color: #fff; border: 0; border-radius: 4px; cursor: pointer; }
            .refused { color: #b91c1c; font-weight: 600; margin: .5rem 0 0; }
            .hint { color: #6b7280; font-size: .85rem; margin-top: 1rem; }
            </style>
            </head>
            <body>
            <form method="post" action="{{LoginPath}}" id="login">
            <h1>MtaCluster status</h1>
            {{message}}
            <label for="token">Admin token</label>
            <input type="password" id="token" name="token" autocomplete="current-password" required autofocus>
            <button type="submit">Log in</button>
            <p class="hint">Admin:Token from the node's configuration, or the data directory's {{WebUtility.HtmlEncode(AdminToken.FileName)}}.</p>
            </form>
            </body>
            </html>
            """, context.RequestAborted);
    }
}
