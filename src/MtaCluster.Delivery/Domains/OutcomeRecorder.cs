using System.Globalization;
using Microsoft.Extensions.Logging;
using MtaCluster.Delivery.Accounting;
using MtaCluster.Delivery.Classification;
using MtaCluster.Delivery.Retries;
using MtaCluster.Mail;
using MtaCluster.Storage;

namespace MtaCluster.Delivery.Domains;

/// <summary>Where a recipient's attempt ended.</summary>
/// <remarks>
/// <see cref="Relayed"/>: accepted by a next hop that did not advertise DSN, so NOTIFY and the rest were
/// withheld from it (RFC 3461 §4.1) and it will not report success; delivered, for everything but the
/// sender's report.
/// </remarks>
internal enum AttemptOutcome { Delivered, Deferred, Bounced, SendAgain, Relayed }

/// <summary>Facts about the connection an attempt used, for the accounting log.</summary>
internal sealed record AttemptConnection(string? MxHost, string? MxIp, string? SourceIp, string? TlsProtocol, string? TlsCipher)
{
    public static readonly AttemptConnection None = new(null, null, null, null, null);
}

/// <summary>
/// Turns the outcome of attempts into the spool's recipient state and the accounting log: a
/// temporary failure is retried on the policy's schedule until the recipient's maximum age, then
/// it expires (4.4.7); a permanent failure bounces.
/// </summary>
internal sealed partial class OutcomeRecorder(DeliveryContext context, string domain, RetrySchedule retries, ILogger? logger = null)
{
    private readonly List<RecipientAttempt> _attempts = new();
    private readonly List<AccountingRecord> _records = new();
    private readonly List<SmtpReply> _transient = new();
    private readonly List<long> _settled = new();
    // Deferred recipients due a delay notice, by message: recipient id and when it gives up.
    private Dictionary<string, Dictionary<long, DateTimeOffset>>? _delayed;
    private int _delivered, _deferred, _bounced;

    /// <param name="localReply">
    /// The reply is our own words (a failed connection, a DNS answer), not the receiver's: it is
    /// classified by its status code alone and never taken as the receiver asking us to back off.
    /// </param>
    /// <param name="localFailuresInARow">
    /// Set for a failure on our side (<see cref="LocalDeliveryFailure"/>): the recipient's count of them
    /// in a row, this one included. Otherwise a receiver's reply starts the count again, and a reply of
    /// our own (no connection, a timeout) leaves it as stored: it says nothing about whether the
    /// message itself can be sent, and resetting there would let a poisoned message to a flaky domain
    /// cycle until its maximum age.
    /// </param>
    /// <param name="campaign">The message's X-MtaCluster-Campaign tag, when the message was read; null otherwise.</param>
    public void Add(QueuedRecipient recipient, string? sender, AttemptOutcome outcome, SmtpReply? reply, AttemptConnection connection,
        bool localReply = false, int? localFailuresInARow = null, string? campaign = null)
    {
        _settled.Add(recipient.RecipientId);
        if (outcome == AttemptOutcome.SendAgain) return;
        // Only "send again" comes without a reply: nothing was attempted.
        ArgumentNullException.ThrowIfNull(reply);

        var now = context.Time.GetUtcNow();
        var attempt = recipient.Attempts + 1;
        // Only a receiver's reply names a remote MTA (RFC 3464 §2.3.5); our own words have none.
        var remoteMta = localReply ? null : connection.MxHost;
        var localFailures = localFailuresInARow ?? (localReply ? recipient.LocalFailures : 0);
        var type = AccountingRecordType.Delivered;
        DateTimeOffset? nextAttempt = null;
        RecipientAttempt stored;
        switch (outcome)
        {
            case AttemptOutcome.Delivered or AttemptOutcome.Relayed:
                // Relayed only when the sender asked to hear of success: a recipient nobody reports on stays
                // Delivered, and its message finishes on the completing transaction's count without a read.
                var state = outcome == AttemptOutcome.Relayed && Lifecycle.NotificationRules.WantsSuccess(recipient.Notify)
                    ? RecipientState.Relayed
                    : RecipientState.Delivered;
                stored = new RecipientAttempt(recipient.RecipientId, state, now, reply.ToLine(), localFailures, now, remoteMta);
                _delivered++;
                break;
            case AttemptOutcome.Bounced:
                stored = new RecipientAttempt(recipient.RecipientId, RecipientState.Failed, now, reply.ToLine(), localFailures, now, remoteMta);
                type = AccountingRecordType.Bounced;
                _bounced++;
                break;
            default:
                if (!localReply) _transient.Add(reply);
                var decision = retries.NextAttempt(attempt, recipient.QueuedAt, now);
                if (decision.IsExpired)
                {
                    // The and RFC 3463's status for an expired message is the persistent 4.4.7, though it is final.
                    reply = new SmtpReply(451, EnhancedStatusCode.Parse(RetryDecision.ExpiredStatusCode),
                        $"message expired after {(now - recipient.QueuedAt).TotalHours:F0} hours in the queue; last reply: {reply.ToLine()}");
                    stored = new RecipientAttempt(recipient.RecipientId, RecipientState.Expired, now, reply.ToLine(), localFailures, now, remoteMta);
                    type = AccountingRecordType.Expired;
                    _bounced++;
                }
                else
                {
                    stored = new RecipientAttempt(recipient.RecipientId, RecipientState.Pending, decision.At!.Value, reply.ToLine(), localFailures, now, remoteMta);
                    type = AccountingRecordType.Deferred;
                    nextAttempt = decision.At;
                    if (context.Messages is not null && Lifecycle.NotificationRules.DueDelayNotice(recipient, now, context.DelayNoticeAfter))
                    {
                        _delayed ??= new(StringComparer.Ordinal);
                        if (!_delayed.TryGetValue(recipient.MessageId, out var ofMessage))
                            _delayed[recipient.MessageId] = ofMessage = new();
                        ofMessage[recipient.RecipientId] = recipient.QueuedAt + retries.Settings.MaxAge;
                    }
                    _deferred++;
                }
                break;
        }
        _attempts.Add(stored);
        _records.Add(new AccountingRecord
        {
            Type = type,
            Time = now,
            MessageId = recipient.MessageId,
            Recipient = recipient.Address,
            Sender = sender,
            Domain = domain,
            Tenant = recipient.Tenant,
            Lane = AccountingRecord.LaneOf(recipient.Lane),
            Campaign = campaign,
            MxHost = connection.MxHost,
            MxIp = connection.MxIp,
            SourceIp = connection.SourceIp,
            TlsProtocol = connection.TlsProtocol,
            TlsCipher = connection.TlsCipher,
            Reply = new AccountingReply(reply.Code, reply.EnhancedCode?.ToString(), reply.Text),
            Category = type switch
            {
                AccountingRecordType.Delivered => null,
                AccountingRecordType.Expired => BounceCategory.MessageExpired.ToName(),
                _ when localReply => ClassifyByCode(reply).ToName(),
                _ => context.Classifier.Classify(reply).ToName(),
            },
            Attempt = attempt,
            QueueSeconds = Math.Round((now - recipient.QueuedAt).TotalSeconds, 3),
            NextAttemptAt = nextAttempt,
            GiveUpAt = type == AccountingRecordType.Delivered ? null : recipient.QueuedAt + retries.Settings.MaxAge,
        });
    }

    // Counted once committed, as the accounting log is written: a refused commit counts nothing.
    private static void Count(AccountingRecord record)
    {
        switch (record.Type)
        {
            case AccountingRecordType.Delivered:
                DeliveryMetrics.Delivered.Add(1);
                break;
            case AccountingRecordType.Deferred:
                DeliveryMetrics.Deferred.Add(1);
                return;
            case AccountingRecordType.Bounced:
                DeliveryMetrics.Bounced.Add(1, new KeyValuePair<string, object?>("category", record.Category ?? "other"));
                break;
            case AccountingRecordType.Expired:
                DeliveryMetrics.Expired.Add(1);
                break;
        }
        DeliveryMetrics.TimeInQueue.Record(record.QueueSeconds);
    }

    private static string Timestamp(DateTimeOffset? at) =>
        at is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "none";

    // One key=value form for every deferral, bounce and expiry, so "what happens to my message" is one grep for its queue id.
    [LoggerMessage(Level = LogLevel.Information,
        Message = "{Outcome} queue_id={QueueId} sender={Sender} rcpt=<{Recipient}> attempt={Attempt} next_attempt={NextAttempt} give_up={GiveUp} reply=\"{Reply}\"")]
    private static partial void Outcome(ILogger logger, string outcome, string queueId, string sender, string recipient, int attempt,
        string nextAttempt, string giveUp, string reply);

    // The line a message entity writes when it finishes a delivered message, for one the store removed itself.
    [LoggerMessage(Level = LogLevel.Information, Message = "{MessageId}: finished (all recipients delivered), removed")]
    private static partial void Removed(ILogger logger, string messageId);

    private static BounceCategory ClassifyByCode(SmtpReply reply) =>
        reply.EnhancedCode is { } code
            ? BounceClassifier.FromEnhanced(code)
            : BounceClassifier.FromBasic(reply.Code);

    /// <summary>What to tell the entity when the commit failed: every recipient is released, none settled.</summary>
    public TransactionSettled Unrecorded() => new(_settled.ToArray(), 0, 0, 0, [], CommitFailed: true);

    /// <summary>Commits the recipients' new state (group-committed with everything else the node writes), then logs it.</summary>
    public async Task<TransactionSettled> CommitAsync(CancellationToken cancellationToken)
    {
        if (_attempts.Count > 0)
        {
            var completed = await context.Store.RecordAttemptsAsync(_attempts.ToArray(), cancellationToken).ConfigureAwait(false);
            // Wake-ups, not promises: the completion is in the store, and the sweep finds what a lost tell leaves.
            if (context.Messages is { } messages)
            {
                foreach (var message in completed)
                {
                    if (!message.Removed) messages.Tell(new Lifecycle.FinishMessage(message.MessageId, message.Reportable));
                    else if (context.MessageLog.IsEnabled(LogLevel.Information)) Removed(context.MessageLog, message.MessageId);
                }
                if (_delayed is not null)
                    foreach (var (messageId, recipients) in _delayed) messages.Tell(new Lifecycle.RecipientsDelayed(messageId, recipients));
            }
        }
        foreach (var record in _records)
        {
            context.Accounting.Record(record);
            Count(record);
        }
        if (logger is not null && logger.IsEnabled(LogLevel.Information))
        {
            foreach (var record in _records)
            {
                if (record.Type == AccountingRecordType.Delivered) continue;
                Outcome(logger, record.Type.ToString().ToLowerInvariant(), record.MessageId,
                    record.Sender is null ? "unknown" : "<" + LogValue.Escape(record.Sender) + ">", LogValue.Escape(record.Recipient), record.Attempt,
                    Timestamp(record.NextAttemptAt), Timestamp(record.GiveUpAt), record.Reply is { } r ? LogValue.Escape(r.Enhanced is null ? $"{r.Code} {r.Text}" : $"{r.Code} {r.Enhanced} {r.Text}", quoted: true) : "");
            }
        }
        return new TransactionSettled(_settled.ToArray(), _delivered, _deferred, _bounced, _transient.ToArray());
    }
}
