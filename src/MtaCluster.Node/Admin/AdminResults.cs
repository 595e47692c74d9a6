using Microsoft.AspNetCore.Http;

namespace MtaCluster.Node.Admin;

/// <summary>The admin API's answers in one shape: a JSON document, or <see cref="AdminError"/> with its status.</summary>
public static class AdminResults
{
    public static async Task Json<T>(HttpContext context, Task<T> answer)
    {
        var value = await answer.ConfigureAwait(false);
        await context.Response.WriteAsJsonAsync(value, AdminJson.Options, context.RequestAborted).ConfigureAwait(false);
    }

    public static Task Json<T>(HttpContext context, T value, int status = StatusCodes.Status200OK)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(value, AdminJson.Options, context.RequestAborted);
    }

    public static Task Error(HttpContext context, int status, string error, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new AdminError(error, message), AdminJson.Options, context.RequestAborted);
    }
}
