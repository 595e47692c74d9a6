using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace MtaCluster.Node.Admin;

/// <summary>Request bodies of the admin API's actions, in its own snake_case JSON.</summary>
public static class AdminRequests
{
    /// <summary>The body as <typeparamref name="T"/>; null when there is none, or it is not JSON of that shape.</summary>
    public static async Task<T?> ReadAsync<T>(HttpContext context) where T : class
    {
        if (context.Request.ContentLength == 0 || !context.Request.HasJsonContentType()) return null;
        try
        {
            return await context.Request.ReadFromJsonAsync<T>(AdminJson.Options, context.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
