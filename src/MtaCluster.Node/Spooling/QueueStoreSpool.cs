using MtaCluster.Actors.Sharding;
using MtaCluster.Mail;
using MtaCluster.Smtp.Spool;
using MtaCluster.Storage;
using SmtpProtocol = MtaCluster.Smtp.Protocol;

namespace MtaCluster.Node.Spooling;

/// <summary>
/// Where the SMTP sessions hand their messages: the durable spool. Each recipient is filed under
/// the shard of its destination domain's entity, so the owner of that shard finds it with one
/// index range scan. Once the commit is durable the delivery side hears which domains have new work.
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
            recipients[i] = new SpoolRecipient(r.Address, r.Domain, ShardHash.ShardOf(r.Domain, maxShards), r.OriginalRecipient, ToMail(r.Notify));
        }
        var spooled = new SpoolMessage(
            message.Id,
            message.ReversePath,
            recipients,
            message.Content,
            message.ReceivedAt,
            message.BodyType switch
            {
                SmtpProtocol.MessageBodyType.EightBitMime => MessageBodyType.EightBitMime,
                _ => MessageBodyType.SevenBit,
            },
            message.SmtpUtf8,
            message.Return switch
            {
                SmtpProtocol.DsnReturn.Full => DsnReturn.Full,
                SmtpProtocol.DsnReturn.Headers => DsnReturn.Headers,
                _ => DsnReturn.NotGiven,
            },
            message.EnvelopeId,
            message.ClientAddress.ToString(),
            message.AuthenticatedUser);

        await store.EnqueueAsync(spooled, cancellationToken).ConfigureAwait(false);
        newWork?.OnNewWork(recipients);
    }

    // The server keeps its own NOTIFY flags until it moves to the shared vocabulary; map them
    // flag by flag, since equal numbers in two enums are a coincidence, not a contract.
    private static DsnNotify ToMail(SmtpProtocol.DsnNotify notify)
    {
        DsnNotify mapped = DsnNotify.NotGiven;
        if ((notify & SmtpProtocol.DsnNotify.Never) != 0) mapped |= DsnNotify.Never;
        if ((notify & SmtpProtocol.DsnNotify.Success) != 0) mapped |= DsnNotify.Success;
        if ((notify & SmtpProtocol.DsnNotify.Failure) != 0) mapped |= DsnNotify.Failure;
        if ((notify & SmtpProtocol.DsnNotify.Delay) != 0) mapped |= DsnNotify.Delay;
        return mapped;
    }
}

/// <summary>Told about recipients that were just made durable, so their domain entities wake without polling the store.</summary>
public interface INewWorkListener
{
    void OnNewWork(IReadOnlyList<SpoolRecipient> recipients);
}
