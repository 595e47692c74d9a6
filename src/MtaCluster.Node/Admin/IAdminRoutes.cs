using Microsoft.AspNetCore.Routing;

namespace MtaCluster.Node.Admin;

/// <summary>
/// A group of admin routes (operator actions, the status page, streams): each registered as a
/// singleton and mapped on the admin host after <see cref="AdminApi"/>'s reads, behind the same token.
/// </summary>
public interface IAdminRoutes
{
    void Map(IEndpointRouteBuilder routes);
}
