using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using MtaCluster.Node.Hosting;

namespace MtaCluster.Node.Admin;

/// <summary>
/// <c>POST /api/config/reload</c>: exactly what SIGHUP does (<see cref="ReloadService.ReloadAsync"/>),
/// answered with what happened: 200 when every file is in force, 422 when one was refused (its
/// configuration in force stays), each error with its file, key and line. This node only: every
/// node reads its own files.
/// </summary>
public sealed class ConfigAdminRoutes(ReloadService reload) : IAdminRoutes
{
    public void Map(IEndpointRouteBuilder routes)
    {
        routes.MapPost("/api/config/reload", async (HttpContext c) =>
        {
            var result = await reload.ReloadAsync("admin API", c.RequestAborted).ConfigureAwait(false);
            var view = new ConfigReloadView(
                result.Reloaded,
                result.Errors.Select(e => new ConfigErrorView(e.Source, e.Key, e.Position?.Line, e.ToString())).ToList(),
                result.RestartNeeded);
            await AdminResults.Json(c, view, result.InForce ? StatusCodes.Status200OK : StatusCodes.Status422UnprocessableEntity).ConfigureAwait(false);
        });
    }
}
