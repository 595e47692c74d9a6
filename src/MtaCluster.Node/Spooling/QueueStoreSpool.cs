using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MtaCluster.Actors.Sharding;
using MtaCluster.Delivery.Accounting;
using MtaCluster.Delivery.Domains;
using MtaCluster.Delivery.Scheduling;
using MtaCluster.Delivery.Tenants;
using MtaCluster.Mail;
using MtaCluster.Mime.Dkim;
using MtaCluster.Smtp.Spool;
using MtaCluster.Storage;

namespace MtaCluster.Node.Spooling;

/// <summary>
/// Where the SMTP sessions hand their messages: the durable spool. Each recipient is filed under
/// the shard of its destination domain's entity, so the owner of that shard finds it with one
/// index range scan; the message itself under the shard of its id, whose message entity finishes it.
/// The message's tenant comes from its AUTH user, its lane from X-MtaCluster-Lane when the client
/// may choose one (authenticated or trusted), else from the tenant; the lane and campaign fields
/// are taken out before the message is stored, and the DKIM signer (when configured) signs what is
/// left. Once the commit is durable the delivery side hears
/// which domains have new work.
/// </summary>
public sealed class QueueStoreSpool(
    IQueueStore store,
    int maxShards,
    INewWorkListener? newWork = null,
    TenantDirectoryHolder? tenants = null,
    ILogger<QueueStoreSpool>? logger = null,
    DkimSigner? dkim = null,
    DomainPlacement? placement = null,
    ReceptionRecorder? receptions = null) : IMessageSpool
{
    // The shard of a recipient row is its domain's entity's: by name, or a listed domain's group key.
    private readonly DomainPlacement _placement = placement ?? DomainPlacement.ByName(maxShards);

    // Read at each message: a reload of the Tenants section (SIGHUP) applies from the next one.
    private readonly TenantDirectoryHolder _tenants = tenants ?? new TenantDirectoryHolder(new TenantDirectory(null));
    private readonly ILogger _logger = logger ?? NullLogger<QueueStoreSpool>.Instance;

    public string NewMessageId() => QueueId.New();

    public async ValueTask AcceptAsync(ReceivedMessage message, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var recipients = new SpoolRecipient[message.Recipients.Count];
        for (var i = 0; i < recipients.Length; i++)
        {
            var r = message.Recipients[i];
            recipients[i] = new SpoolRecipient(r.Address, r.Domain, _placement.ShardOf(r.Domain), r.OriginalRecipient, r.Notify);
        }

        // Only the client's part can hold the fields: the prefix is the server's own trace header.
        var headers = LaneHeaderScanner.Scan(message.Content.Body);
        var tenant = _tenants.Current.ForSubmission(message.AuthenticatedUser);
        var mayChoose = message.AuthenticatedUser is not null || message.ClientTrusted;
        var lane = TenantDirectory.LaneFor(tenant, headers.Lane, mayChoose);
        var content = headers.Removals.IsEmpty ? message.Content : new MessageContent(message.Content.Prefix, headers.Without(message.Content.Body));
        if (headers.Lane != RequestedLane.None || headers.CampaignTag == CampaignTag.Invalid) LogHeaders(message, headers, mayChoose, lane);
        // Signed once, before the commit, over the octets every delivery will send (never per delivery).
        if (dkim is not null) content = dkim.Sign(content, message.ReceivedAt);

        var spooled = new SpoolMessage(
            message.Id,
            message.ReversePath,
            recipients,
            content,
            message.ReceivedAt,
            message.BodyType,
            message.SmtpUtf8,
            message.Return,
            message.EnvelopeId,
            message.ClientAddress.ToString(),
            message.AuthenticatedUser,
            ShardHash.ShardOf(message.Id, maxShards),
            tenant.Name,
            lane,
            headers.CampaignTag == CampaignTag.Valid ? headers.Campaign : null);

        await store.EnqueueAsync(spooled, cancellationToken).ConfigureAwait(false);
        NodeMetrics.Accepted.Add(1);
        NodeMetrics.AcceptLatency.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
        // Before the wake: a fast delivery's line must not come ahead of the acceptance.
        receptions?.Record(spooled);
        newWork?.OnNewWork(recipients);
    }

    // A bad value is the sender's bug, not a reason to refuse mail it already handed over: the
    // message travels in its tenant's default lane and the operator reads why here.
    private void LogHeaders(ReceivedMessage message, LaneHeaders headers, bool mayChoose, DeliveryLane lane)
    {
        if (headers.Lane == RequestedLane.Unknown)
            _logger.LogWarning("message {Id} from {Client}: X-MtaCluster-Lane is neither transactional nor bulk; ignored, sent in lane {Lane}", message.Id, message.ClientAddress, LaneName(lane));
        else if (!mayChoose)
            _logger.LogWarning("message {Id} from {Client}: X-MtaCluster-Lane ignored from a client neither authenticated nor trusted; sent in lane {Lane}", message.Id, message.ClientAddress, LaneName(lane));
        if (headers.CampaignTag == CampaignTag.Invalid)
            _logger.LogWarning("message {Id} from {Client}: X-MtaCluster-Campaign is empty, too long, not printable ASCII or given twice; ignored", message.Id, message.ClientAddress);
    }

    private static string LaneName(DeliveryLane lane) => lane == DeliveryLane.Transactional ? "transactional" : "bulk";
}

/// <summary>Told about recipients that were just made durable, so their domain entities wake without polling the store.</summary>
public interface INewWorkListener
{
    void OnNewWork(IReadOnlyList<SpoolRecipient> recipients);
}
