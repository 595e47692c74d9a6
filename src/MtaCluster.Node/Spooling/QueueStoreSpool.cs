using MtaCluster.Actors.Sharding;
using MtaCluster.Smtp.Spool;
using MtaCluster.Storage;

namespace MtaCluster.Node.Spooling;

/// <summary>
/// Where the SMTP sessions hand their messages: the durable spool. Each recipient is filed under
/// the shard of its destination domain's entity, so the owner of that shard finds it with one
/// index range scan; the message itself under the shard of its id, whose message entity finishes it.
/// Once the commit is durable the delivery side hears which domains have new work.
/// </summary>
public sealed class QueueStoreSpool(IQueueStore store, int maxShards, INewWorkListener? newWork = null) : IMessageSpool
{
    public string NewMessageId() => QueueId.New();

    public async ValueTask AcceptAsync(ReceivedMessage message, CancellationToken cancellationToken)
    {
        var recipients = new SpoolRecipient[message.Recipients.Count];
        for (var i = 0; i < recipients.Length; i++)
        {
            var r = message.Recipients[i];
            recipients[i] = new SpoolRecipient(r.Address, r.Domain, ShardHash.ShardOf(r.Domain, maxShards), r.OriginalRecipient, r.Notify);
        }
        var spooled = new SpoolMessage(
            message.Id,
            message.ReversePath,
            recipients,
            message.Content,
            message.ReceivedAt,
            message.BodyType,
            message.SmtpUtf8,
            message.Return,
            message.EnvelopeId,
            message.ClientAddress.ToString(),
            message.AuthenticatedUser,
            ShardHash.ShardOf(message.Id, maxShards));

        await store.EnqueueAsync(spooled, cancellationToken).ConfigureAwait(false);
        newWork?.OnNewWork(recipients);
    }
}

/// <summary>Told about recipients that were just made durable, so their domain entities wake without polling the store.</summary>
public interface INewWorkListener
{
    void OnNewWork(IReadOnlyList<SpoolRecipient> recipients);
}
