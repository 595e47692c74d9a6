using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using MtaCluster.Delivery.Lifecycle;
using MtaCluster.Storage;

namespace MtaCluster.Node.Admin;

/// <summary>An operator's actions on one message: bounce, retry and delete, from any node (see <see cref="MessageOperatorActions"/>).</summary>
public sealed class MessageActionRoutes(MessageOperatorActions actions) : IAdminRoutes
{
    public sealed record BounceView(string Id, int BouncedRecipients);

    public sealed record RetryView(string Id, int RecipientsDueNow);

    public sealed record DeleteView(string Id, int RemovedRecipients);

    public void Map(IEndpointRouteBuilder routes)
    {
        routes.MapPost("/api/messages/{id}/bounce", (HttpContext c, string id) =>
            AnswerAsync(c, id, actions.BounceAsync(id, c.RequestAborted), a => new BounceView(a.MessageId, a.Recipients.Count)));
        routes.MapPost("/api/messages/{id}/retry", (HttpContext c, string id) =>
            AnswerAsync(c, id, actions.RetryAsync(id, c.RequestAborted), a => new RetryView(a.MessageId, a.Recipients.Count)));
        routes.MapDelete("/api/messages/{id}", (HttpContext c, string id) =>
            AnswerAsync(c, id, actions.DeleteAsync(id, c.RequestAborted), a => new DeleteView(a.MessageId, a.Recipients.Count)));
    }

    private static async Task AnswerAsync<T>(HttpContext context, string id, Task<MessageAction?> action, Func<MessageAction, T> view)
    {
        if (await action.ConfigureAwait(false) is not { } done)
        {
            // The same words as GET /api/messages/{id}, so an operator reads one message for one case.
            await AdminResults.Error(context, StatusCodes.Status404NotFound, "not_found", $"no message {id} in the spool (never queued, or finished and removed)").ConfigureAwait(false);
            return;
        }
        await AdminResults.Json(context, view(done)).ConfigureAwait(false);
    }
}
