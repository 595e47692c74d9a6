using Microsoft.Extensions.Logging;
using MtaCluster.Delivery.Accounting;
using MtaCluster.Delivery.Classification;
using MtaCluster.Delivery.Domains;
using MtaCluster.Mail;
using MtaCluster.Storage;

namespace MtaCluster.Delivery.Lifecycle;

/// <summary>
/// An operator's bounce, retry and removal of one message (pbm mta message bounce|retry|delete), and the
/// purge of a domain's queue (pbm mta queue purge), from whichever node was asked: the intent is written to the store first, then the owners are woken, here
/// or through the engine's regions, which forward to another node's shard as a wake-up through the store.
/// </summary>
/// <remarks>
/// A delivery in flight on the owner is left to finish: the store keeps whichever of its outcome and the
/// operator's write commits first and ignores the other (see <see cref="IQueueStore.BounceMessageAsync"/>),
/// and a recipient still waiting in a domain's memory is not sent once nothing of its message is pending.
/// A recipient the receiver accepted while the bounce was committed stays failed in the spool, and the
/// accounting log holds both lines, the receiver's and the operator's: what happened on the wire is not undone.
/// </remarks>
public sealed partial class MessageOperatorActions(DeliveryEngine engine)
{
    /// <summary>
    /// The reply every bounced recipient gets. 554 and X.0.0 (RFC 3463 "other undefined status"): no
    /// receiver refused it and no code of RFC 3463 names a sender's own decision, so the permanent class
    /// with the undefined subject, and the words say who decided.
    /// </summary>
    public static readonly SmtpReply BounceReply = new(554, new EnhancedStatusCode(5, 0, 0), "bounced by the operator");

    private readonly ILogger _logger = engine.Context.LoggerFactory.CreateLogger<MessageOperatorActions>();

    private DeliveryContext Context => engine.Context;

    /// <summary>Fails every pending recipient; the message's owner sends the one failure DSN. Null for an unknown message.</summary>
    public async Task<MessageAction?> BounceAsync(string messageId, CancellationToken cancellationToken)
    {
        // Read before the bounce, for the accounting lines: once its DSN is queued the message may be gone.
        var message = await Context.Store.GetMessageAsync(messageId, cancellationToken).ConfigureAwait(false);
        if (message is null) return null;
        var now = Context.Time.GetUtcNow();
        var action = await Context.Store.BounceMessageAsync(messageId, BounceReply.ToLine(), now, cancellationToken).ConfigureAwait(false);
        if (action is null) return null;
        if (action.Completed is { Removed: false } completed)
            engine.Messages?.Tell(new FinishMessage(messageId, completed.Reportable));
        var category = BounceClassifier.FromEnhanced(BounceReply.EnhancedCode!.Value).ToName();
        foreach (var recipient in action.Recipients)
        {
            Context.Accounting.Record(new AccountingRecord
            {
                Type = AccountingRecordType.Bounced,
                Time = now,
                MessageId = messageId,
                Recipient = recipient.Address,
                Sender = message.ReversePath,
                Domain = recipient.Domain,
                Tenant = recipient.Tenant,
                Lane = AccountingRecord.LaneOf(recipient.Lane),
                Campaign = message.Campaign,
                Reply = new AccountingReply(BounceReply.Code, BounceReply.EnhancedCode.ToString(), BounceReply.Text),
                Category = category,
                // Not an attempt: the count of those made before it.
                Attempt = recipient.Attempts,
                QueueSeconds = Math.Round((now - recipient.QueuedAt).TotalSeconds, 3),
            });
            DeliveryMetrics.Bounced.Add(1, new KeyValuePair<string, object?>("category", category));
            DeliveryMetrics.TimeInQueue.Record((now - recipient.QueuedAt).TotalSeconds);
        }
        LogAction(messageId, "bounced", action.Recipients.Count);
        return action;
    }

    /// <summary>Makes every pending recipient due now and wakes its domain. Null for an unknown message.</summary>
    public async Task<MessageAction?> RetryAsync(string messageId, CancellationToken cancellationToken)
    {
        var action = await Context.Store.RetryMessageAsync(messageId, Context.Time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (action is null) return null;
        foreach (var domain in action.Recipients.Select(r => r.Domain).Distinct(StringComparer.Ordinal))
        {
            // Here through the wake scheduler, which keeps the cap on active domains; elsewhere the region
            // forwards the wake to the owner through the store, and its scheduler does the same.
            if (engine.IsLocalDomain(domain)) engine.OnNewWork([domain]);
            else engine.Domains.Tell(new WakeDomain(domain));
        }
        LogAction(messageId, "made due now", action.Recipients.Count);
        return action;
    }

    /// <summary>
    /// Removes the message without a DSN; each recipient still pending gets a <c>removed</c> accounting
    /// line (the others had their last one already). Null for an unknown message.
    /// </summary>
    public async Task<MessageAction?> DeleteAsync(string messageId, CancellationToken cancellationToken)
    {
        var message = await Context.Store.GetMessageAsync(messageId, cancellationToken).ConfigureAwait(false);
        var action = await Context.Store.RemoveMessageAsync(messageId, cancellationToken).ConfigureAwait(false);
        if (action is null) return null;
        var now = Context.Time.GetUtcNow();
        foreach (var recipient in action.Recipients)
        {
            if (recipient.State != RecipientState.Pending) continue;
            RecordRemoved(now, messageId, recipient.Address, recipient.Domain, recipient.Attempts, recipient.QueuedAt,
                recipient.Lane, recipient.Tenant, message?.ReversePath, message?.Campaign);
        }
        LogAction(messageId, "removed without a DSN", action.Recipients.Count);
        return action;
    }

    /// <summary>
    /// Deletes every pending recipient of the domain without a DSN (Postfix's <c>postsuper -d ALL</c> for
    /// one destination), a <c>removed</c> accounting line each, and tells the domain's owner to drop what
    /// it fetched; messages this left complete are finished (their other recipients' DSN) by their owners.
    /// </summary>
    public async Task<DomainPurge> PurgeDomainAsync(string domain, CancellationToken cancellationToken)
    {
        var now = Context.Time.GetUtcNow();
        var purge = await Context.Store.PurgeDomainAsync(domain, now, cancellationToken).ConfigureAwait(false);
        engine.OnControlChanged(domain, DomainControlChange.Purge);
        if (purge.Completed.Count > 0) engine.SweepNow();
        // The sender and campaign are left out: reading every purged message for them would make a
        // purge of a large queue as slow as reading all of it.
        foreach (var recipient in purge.Recipients)
        {
            RecordRemoved(now, recipient.MessageId, recipient.Address, domain, recipient.Attempts, recipient.QueuedAt,
                recipient.Lane, recipient.Tenant, sender: null, campaign: null);
        }
        LogPurged(domain, purge.Recipients.Count, purge.RemovedMessages);
        return purge;
    }

    private void RecordRemoved(DateTimeOffset now, string messageId, string address, string domain, int attempts, DateTimeOffset queuedAt,
        DeliveryLane lane, string tenant, string? sender, string? campaign)
    {
        Context.Accounting.Record(new AccountingRecord
        {
            Type = AccountingRecordType.Removed,
            Time = now,
            MessageId = messageId,
            Recipient = address,
            Sender = sender,
            Domain = domain,
            Tenant = tenant,
            Lane = AccountingRecord.LaneOf(lane),
            Campaign = campaign,
            // Not an attempt: the count of those made before it.
            Attempt = attempts,
            QueueSeconds = Math.Round((now - queuedAt).TotalSeconds, 3),
        });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{MessageId}: {Action} by the operator ({Recipients} recipients)")]
    private partial void LogAction(string messageId, string action, int recipients);

    [LoggerMessage(Level = LogLevel.Information, Message = "operator: {Domain} purged: {Recipients} pending recipients deleted without a DSN, {Messages} messages removed")]
    private partial void LogPurged(string domain, int recipients, int messages);
}
