using Microsoft.Extensions.Logging;
using MtaCluster.Actors;
using MtaCluster.Actors.Sharding;
using MtaCluster.Mail;
using MtaCluster.Storage;

namespace MtaCluster.Delivery.Lifecycle;

/// <summary>
/// One message as a whole, after acceptance. It decides from the store, never from what it was told:
/// when every recipient is final it queues at most one DSN for the failed, expired and relayed ones and
/// removes the message in the same transaction (<see cref="IQueueStore.FinishMessageAsync"/>, which
/// finishes a message only once), and it sends delay notices for recipients deferred too long, at most
/// one per message per <see cref="MessageLifecycleOptions.DelayNoticeAfter"/>. It
/// holds no state between messages, so it stops as soon as it has nothing to do.
/// </summary>
public sealed partial class MessageEntity : ActorBase
{
    private readonly string _messageId;
    private readonly MessageLifecycleContext _context;
    private readonly ILogger _logger;

    public MessageEntity(string messageId, MessageLifecycleContext context)
    {
        _messageId = messageId;
        _context = context;
        _logger = context.LoggerFactory.CreateLogger<MessageEntity>();
    }

    protected override async ValueTask OnReceiveAsync(object message)
    {
        try
        {
            switch (message)
            {
                case FinishMessage { Reportable: 0 }:
                    await FinishDeliveredAsync().ConfigureAwait(false);
                    break;
                case FinishMessage:
                    await FinishAsync().ConfigureAwait(false);
                    break;
                case RecipientsDelayed delayed:
                    await NotifyDelayAsync(delayed).ConfigureAwait(false);
                    break;
                default:
                    Unhandled(message);
                    return;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The store still says what is left to do; the next sweep asks again.
            LogStoreFailed(_messageId, ex);
        }
        Context.Parent.Tell(new Passivate(PoisonPill.Instance), Self);
    }

    private DateTimeOffset? RetainUntil()
    {
        var retention = _context.Options.RetainFinishedMessages;
        return retention > TimeSpan.Zero ? _context.Time.GetUtcNow() + retention : null;
    }

    /// <summary>
    /// No recipient failed, expired or is owed a success report, as the completing transaction said: nothing to report, so the
    /// common case costs one write and no read (the store still finishes only a complete message).
    /// </summary>
    private async Task FinishDeliveredAsync()
    {
        var retainUntil = RetainUntil();
        if (await _context.Store.FinishMessageAsync(_messageId, [], retainUntil).ConfigureAwait(false))
            LogFinishedDelivered(_messageId, retainUntil is null ? "removed" : $"kept until {retainUntil:O}");
    }

    private async Task FinishAsync()
    {
        var recipients = await _context.Store.GetRecipientsAsync(_messageId).ConfigureAwait(false);
        if (recipients.Count == 0 || recipients.Any(r => r.State == RecipientState.Pending))
            return;

        var notifications = new List<SpoolMessage>(1);
        // One report for the failed, expired and relayed recipients together: RFC 3464 §2.3.3 gives each its own action.
        var reported = NotificationRules.FinalToReport(recipients);
        StoredMessage? original = null;
        if (reported.Count > 0)
        {
            // The body is read only when a DSN needs it: most messages finish delivered.
            original = await _context.Store.GetMessageAsync(_messageId).ConfigureAwait(false);
            if (original is null)
                return;
            if (NotificationRules.MayNotify(original.ReversePath))
            {
                if (await NotificationAsync(new DeliveryReport(DeliveryReportKind.Final, original, reported, _context.Time.GetUtcNow()), original.ReversePath).ConfigureAwait(false) is { } dsn)
                    notifications.Add(dsn);
            }
            else
            {
                LogNotNotified(_messageId, reported.Count, "the sender is null (it is a notification itself)");
            }
        }

        var retainUntil = RetainUntil();
        if (!await _context.Store.FinishMessageAsync(_messageId, notifications, retainUntil).ConfigureAwait(false))
            return;
        var relayed = reported.Count(r => r.State == RecipientState.Relayed);
        DeliveryMetrics.DsnsSent.Add(notifications.Count);
        foreach (var dsn in notifications)
        {
            LogFinalNotified(_messageId, dsn.Id, dsn.Recipients[0].Address, reported.Count - relayed, relayed);
            _context.OnNewWork(dsn.Recipients);
        }
        LogFinished(_messageId, recipients.Count(r => r.State == RecipientState.Delivered), recipients.Count(r => r.State == RecipientState.Relayed),
            recipients.Count(r => r.State == RecipientState.Failed), recipients.Count(r => r.State == RecipientState.Expired),
            retainUntil is null ? "removed" : $"kept until {retainUntil:O}");
    }

    /// <summary>
    /// One notice for every recipient of the message that is due one, whichever domain's tell woke the
    /// entity: the domains of a message defer it independently, and each telling for its own recipients
    /// would give the sender one notice per domain at about the same time. A message's recipients share
    /// their queued time, so once all due ones are marked together the next notice is an interval away.
    /// </summary>
    private async Task NotifyDelayAsync(RecipientsDelayed delayed)
    {
        var now = _context.Time.GetUtcNow();
        var after = _context.Options.DelayNoticeAfter;
        // Read again: the tell may be old, and another notice may have gone out since it was sent.
        var due = (await _context.Store.GetRecipientsAsync(_messageId).ConfigureAwait(false))
            .Where(r => NotificationRules.DueDelayNotice(r, now, after))
            .ToArray();
        if (due.Length == 0)
            return;
        var original = await _context.Store.GetMessageAsync(_messageId).ConfigureAwait(false);
        if (original is null || !NotificationRules.MayNotify(original.ReversePath))
            return;
        var report = new DeliveryReport(DeliveryReportKind.Delayed, original, due, now, WillRetryUntil(due, delayed.WillRetryUntil));
        var notice = await NotificationAsync(report, original.ReversePath).ConfigureAwait(false);
        if (notice is null)
            return;
        // The store queues the notice only if a recipient is still pending: an outcome committed while it
        // was composed may have completed the message, and a notice must never follow its end.
        if (!await _context.Store.RecordDelayNoticeAsync(due.Select(r => r.RecipientId).ToArray(), now, notice).ConfigureAwait(false))
        {
            LogDelayNoticeDropped(_messageId);
            return;
        }
        DeliveryMetrics.DsnsSent.Add(1);
        LogDelayNotified(_messageId, notice.Id, original.ReversePath, due.Length);
        _context.OnNewWork(notice.Recipients);
    }

    /// <summary>The telling domain's give-up times, and for recipients of other domains their own policy's.</summary>
    private Dictionary<long, DateTimeOffset> WillRetryUntil(IReadOnlyList<QueuedRecipient> due, IReadOnlyDictionary<long, DateTimeOffset> told)
    {
        var until = new Dictionary<long, DateTimeOffset>(due.Count);
        foreach (var recipient in due)
        {
            if (told.TryGetValue(recipient.RecipientId, out var known))
                until[recipient.RecipientId] = known;
            else if (_context.MaxAgeOf(recipient.Domain) is { } maxAge)
                until[recipient.RecipientId] = recipient.QueuedAt + maxAge;
        }
        return until;
    }

    /// <summary>The DSN as a message of its own, from the null sender to the original sender, or null when the sender has no routable domain.</summary>
    private async Task<SpoolMessage?> NotificationAsync(DeliveryReport report, string sender)
    {
        if (RoutingDomain.OfAddress(sender) is not { } domain)
        {
            LogNotNotified(_messageId, report.Recipients.Count, $"the sender <{sender}> has no routable domain");
            return null;
        }
        var id = QueueId.New();
        var content = await _context.Composer.ComposeAsync(report, Context.StoppingToken).ConfigureAwait(false);
        return new SpoolMessage(
            id,
            ReversePath: "",
            [new SpoolRecipient(sender, domain, _context.Placement.ShardOf(domain), Notify: DsnNotify.Never)],
            content,
            report.Date,
            // The report carries the original's bytes as they came, which may be 8-bit (the global forms of an
            // SMTPUTF8 original travel as 8BITMIME); SMTPUTF8 only when the sender's address needs it, so a
            // receiver without it still gets the report.
            BodyType: report.Original.BodyType == MessageBodyType.SevenBit && !report.Original.SmtpUtf8 ? MessageBodyType.SevenBit : MessageBodyType.EightBitMime,
            SmtpUtf8: !sender.All(char.IsAscii),
            Shard: ShardHash.ShardOf(id, _context.MaxShards),
            // The original's tenant, so its reports count in its share and limits; the transactional
            // lane, as a sender waits for its bounce the way a user waits for a password reset.
            Tenant: report.Original.Tenant,
            Lane: DeliveryLane.Transactional);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{MessageId}: finished ({Delivered} delivered, {Relayed} relayed, {Failed} failed, {Expired} expired), {Disposition}")]
    private partial void LogFinished(string messageId, int delivered, int relayed, int failed, int expired, string disposition);

    [LoggerMessage(Level = LogLevel.Information, Message = "{MessageId}: finished (all recipients delivered), {Disposition}")]
    private partial void LogFinishedDelivered(string messageId, string disposition);

    [LoggerMessage(Level = LogLevel.Information, Message = "{MessageId}: DSN {DsnId} queued to <{Sender}> for {Failed} failed and {Relayed} relayed recipients")]
    private partial void LogFinalNotified(string messageId, string dsnId, string sender, int failed, int relayed);

    [LoggerMessage(Level = LogLevel.Information, Message = "{MessageId}: delay DSN not queued: no recipient of it is pending any more")]
    private partial void LogDelayNoticeDropped(string messageId);

    [LoggerMessage(Level = LogLevel.Information, Message = "{MessageId}: delay DSN {DsnId} queued to <{Sender}> for {Recipients} recipients")]
    private partial void LogDelayNotified(string messageId, string dsnId, string sender, int recipients);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{MessageId}: {Recipients} recipients are to be reported on and no DSN is sent: {Reason}")]
    private partial void LogNotNotified(string messageId, int recipients, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{MessageId}: the spool could not be read or written; the next sweep tries again")]
    private partial void LogStoreFailed(string messageId, Exception exception);
}
