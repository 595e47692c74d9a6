using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using MtaCluster.Actors;
using MtaCluster.Delivery.Classification;
using MtaCluster.Delivery.Policies;
using MtaCluster.Delivery.Retries;
using MtaCluster.Delivery.Throttling;
using MtaCluster.Mail;
using MtaCluster.Smtp.Client.Connection;
using MtaCluster.Smtp.Client.Protocol;
using MtaCluster.Storage;
using MtaCluster.Smtp.Client.Transactions;

namespace MtaCluster.Delivery.Domains;

/// <summary>
/// One outbound connection of a domain: connects to the first host of the route that answers,
/// then sends the transactions the entity has paid rate tokens for, one after another, until the
/// policy's messages per connection, an idle spell or a broken connection ends it. Every outcome is
/// committed to the spool before the entity hears of it.
/// </summary>
internal sealed class DeliveryWorker(
    int id,
    DeliveryContext context,
    string domain,
    DomainPolicy policy,
    MailRoute route,
    ChannelReader<WorkItem> work,
    RetrySchedule retries,
    IActorRef entity,
    ConnectionLease lease,
    ILogger logger)
{
    // The spool commit of one transaction's outcomes overlaps the next transaction on the wire: the
    // commit is an fsync (~1 ms here), several times a loopback SMTP round trip. One at a time, and the
    // next transaction's final dot waits for it (BeforeEndOfDataAsync): at any instant a connection has
    // at most one transaction the receiver may have taken that the spool does not know of, so a crash
    // or a lost lease re-sends at most one per connection. The entity hears of a transaction only once
    // its commit is durable, and the worker waits for it before it stops.
    private const int MaxPendingCommits = 1;
    private volatile bool _leaseLost;
    private readonly Queue<Task> _pendingCommits = new();

    /// <summary>Set by the entity when backoff lowers its connection limit: finish the current transaction and leave.</summary>
    public volatile bool Retire;

    public int Id => id;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        SmtpReply? connectFailure = null;
        var local = false;
        var shortage = false;
        var connected = false;
        // Stopping ends the wait for more work at once, but a transaction already on the wire gets a
        // grace period: cancelled after its final dot, it would be delivered again after the restart.
        using var transactionStop = new CancellationTokenSource();
        await using var graceOnStop = cancellationToken.Register(() => transactionStop.CancelAfter(TransactionGraceOnStop));
        try
        {
            await using var connection = await ConnectAsync(cancellationToken).ConfigureAwait(false);
            if (connection.Connection is null)
            {
                connectFailure = connection.Failure;
                local = connection.Local;
                shortage = connection.Shortage;
                return;
            }
            connected = true;
            lease.Budget.OnConnected();
            DeliveryMetrics.OutboundConnections.Add(1);
            try
            {
                await SendAsync(connection.Connection, cancellationToken, transactionStop.Token).ConfigureAwait(false);
            }
            finally
            {
                DeliveryMetrics.OutboundConnections.Add(-1);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Node shutdown: recipients not yet settled stay due and are sent after the restart.
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "delivery worker {Worker} for {Domain} failed", id, domain);
            if (!connected)
            {
                // Reported as a failed connection, so the entity neither takes it for a working one nor starts another at once.
                connectFailure = new SmtpReply(451, new EnhancedStatusCode(4, 4, 0), $"local error connecting for {domain}: {ex.GetType().Name}");
                local = true;
            }
        }
        finally
        {
            await DrainCommitsAsync().ConfigureAwait(false);
            // Before the entity hears of it, so that its next pump finds the slots free.
            lease.Release();
            entity.Tell(new WorkerStopped(id, connectFailure, local, shortage));
        }
    }

    private static readonly TimeSpan TransactionGraceOnStop = TimeSpan.FromSeconds(20);

    /// <param name="Shortage">No connection for want of a local resource: neither the receiver's fault nor an attempt.</param>
    private sealed record Connected(SmtpClientConnection? Connection, SmtpReply? Failure, bool Local, bool Shortage = false) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            if (Connection is not null) await Connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>RFC 5321 §5.1: every host in preference order, every address of each, before giving up.</summary>
    private async Task<Connected> ConnectAsync(CancellationToken cancellationToken)
    {
        SmtpFailure? last = null;
        foreach (var host in route.Hosts)
        {
            foreach (var endpoint in host.EndPoints)
            {
                var source = policy.EgressPool.Select(domain);
                if (source is not null && source.AddressFamily != endpoint.AddressFamily) source = null;
                var options = context.Options.CreateClientOptions(policy);
                var result = await TryConnectAsync(endpoint, source, host.HostName, options, cancellationToken).ConfigureAwait(false);
                if (result is null) return ResourceShortage(endpoint);
                if (result.Failure is { RetryWithoutTls: true })
                {
                    // Opportunistic TLS that failed its handshake falls back to clear text on the same host (RFC 7435).
                    logger.LogInformation("STARTTLS with {Host} [{Address}] failed; retrying without TLS", host.HostName, endpoint);
                    options.TlsPolicy = TlsPolicy.None;
                    result = await TryConnectAsync(endpoint, source, host.HostName, options, cancellationToken).ConfigureAwait(false);
                    if (result is null) return ResourceShortage(endpoint);
                }
                if (result.Connection is not null) return new Connected(result.Connection, null, false);
                // Even a 554 greeting only speaks for this host (often a blocklist on one address), so
                // the next MX is tried, and a domain refused everywhere is deferred, never bounced
                // (Postfix's smtp_skip_5xx_greeting).
                last = result.Failure;
                logger.LogDebug("cannot deliver to {Host} [{Address}]: {Failure}", host.HostName, endpoint, result.Failure);
            }
        }
        if (last is null) return new Connected(null, new SmtpReply(451, new EnhancedStatusCode(4, 4, 4), $"no address to connect to for {domain}"), true);
        var reply = last.Reply;
        if (reply.IsPermanent) reply = new SmtpReply(451, new EnhancedStatusCode(4, 4, 1), $"every host refused: {reply.ToLine()}");
        return new Connected(null, reply, last.Reply.IsLocal);
    }

    /// <summary>One connection attempt; null when this machine is short of descriptors, buffers or ports.</summary>
    private async Task<SmtpConnectResult?> TryConnectAsync(IPEndPoint endpoint, IPAddress? source, string hostName, SmtpClientOptions options, CancellationToken cancellationToken)
    {
        try
        {
            var result = await context.Connector.ConnectAsync(endpoint, source, context.HeloName, hostName, options, cancellationToken).ConfigureAwait(false);
            return LocalResourceErrors.IsShortage(result.Failure?.Exception, source is not null) ? null : result;
        }
        catch (SocketException e) when (LocalResourceErrors.IsShortage(e.SocketErrorCode, source is not null))
        {
            // socket(2) itself fails with EMFILE/ENFILE before any connect is tried.
            logger.LogDebug(e, "no socket for {Address}", endpoint);
            return null;
        }
    }

    private Connected ResourceShortage(IPEndPoint endpoint)
    {
        // The other hosts would fail the same way: the shortage is this machine's.
        lease.Budget.OnLocalResourceShortage();
        logger.LogWarning("connecting to {Address} for {Domain}: this machine is out of sockets or ports; the node's connection budget is now {Limit}",
            endpoint, domain, lease.Budget.Limit);
        return new Connected(null, new SmtpReply(451, new EnhancedStatusCode(4, 3, 0), $"connect to {endpoint}: local resource shortage"), true, Shortage: true);
    }

    private async Task SendAsync(SmtpClientConnection connection, CancellationToken cancellationToken, CancellationToken transactionToken)
    {
        var sent = 0;
        var details = new AttemptConnection(
            connection.RemoteHostName,
            connection.RemoteEndPoint.Address.ToString(),
            connection.LocalEndPoint.Address.ToString(),
            connection.TlsProtocol?.ToString(),
            connection.TlsCipherSuite?.ToString());
        // Hold (SIGHUP) and the shard's lease are read before each transaction: the one under way
        // finishes, no further one starts.
        while (sent < policy.MaxMessagesPerConnection && !Retire && connection.IsUsable && !context.Options.Hold && context.OwnsDomain(domain))
        {
            if (!work.TryRead(out var item))
            {
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                idle.CancelAfter(context.Options.ConnectionIdleTimeout);
                try
                {
                    if (!await work.WaitToReadAsync(idle.Token).ConfigureAwait(false)) break;
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    break;
                }
                continue;
            }
            var transactions = connection.TransactionCount;
            try
            {
                await DeliverAsync(connection, item, details, transactionToken).ConfigureAwait(false);
            }
            catch (Exception ex) when ((ex is not OperationCanceledException || !transactionToken.IsCancellationRequested) && LocalResourceErrors.IsPassing(ex))
            {
                // The node, not the message, is in trouble (the spool cannot be read, descriptors ran
                // out): no attempt is counted; the recipients go back as never tried and the entity
                // holds the domain off as after a failed commit, until the spool has had time to recover.
                logger.LogWarning(ex, "delivering {Message} to {Domain} failed on this node; sending it later", item.MessageId, domain);
                var released = new OutcomeRecorder(context, domain, retries, logger);
                foreach (var recipient in item.Recipients) released.Add(recipient, null, AttemptOutcome.SendAgain, default, details);
                entity.Tell(released.Unrecorded());
                break;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !transactionToken.IsCancellationRequested)
            {
                // Whatever went wrong, the entity must get the item's recipients back, or they would
                // stay in flight and never be retried. It counts as an attempt, so a message that
                // fails this way every time runs out of tries instead of cycling for ever.
                logger.LogError(ex, "delivering {Message} to {Domain} failed", item.MessageId, domain);
                await SettleAsync(LocalFailure(item, ex, details)).ConfigureAwait(false);
                // The rest of the domain's mail goes on, on this connection if nothing of the failed
                // transaction reached it; one left in an unknown state is closed.
                if (!connection.IsUsable || connection.TransactionCount != transactions) break;
            }
            sent++;
            if (cancellationToken.IsCancellationRequested) break;
        }
        if (connection.IsUsable)
        {
            await connection.QuitAsync(transactionToken).ConfigureAwait(false);
        }
    }

    private async Task DeliverAsync(SmtpClientConnection connection, WorkItem item, AttemptConnection details, CancellationToken cancellationToken)
    {
        var recorder = new OutcomeRecorder(context, domain, retries, logger);
        // One read of the body per transaction, into a pooled buffer that goes back once the transaction
        // is over; the spool's read snapshot is closed before the first byte goes to the receiver.
        using var loaded = await context.Store.LoadMessageAsync(item.MessageId, cancellationToken).ConfigureAwait(false);
        if (loaded is null)
        {
            // Removed from the spool while queued here (an operator deleted it), or nothing of it is pending
            // any more (an operator bounced it): nothing to send, and the store has the recipients' state.
            foreach (var r in item.Recipients) recorder.Add(r, null, AttemptOutcome.SendAgain, default, details);
            await SettleAsync(recorder).ConfigureAwait(false);
            return;
        }

        var message = loaded.Message;
        var transaction = new MessageTransaction(message.ReversePath, item.Recipients.Select(ToTransactionRecipient).ToArray(), loaded.Content)
        {
            // BINARYMIME is not advertised by the server, so nothing binary is spooled; the client would refuse it.
            BodyType = message.BodyType,
            RequiresSmtpUtf8 = message.SmtpUtf8,
            Return = message.DsnReturn,
            EnvelopeId = message.EnvelopeId,
            BeforeEndOfData = BeforeEndOfDataAsync,
        };
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var result = await connection.SendAsync(transaction, cancellationToken).ConfigureAwait(false);
        DeliveryMetrics.DeliveryLatency.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
        for (var i = 0; i < item.Recipients.Length; i++)
        {
            var outcome = result.Recipients[i];
            recorder.Add(item.Recipients[i], message.ReversePath, outcome.Status switch
            {
                RecipientStatus.Delivered => result.DsnParametersSent ? AttemptOutcome.Delivered : AttemptOutcome.Relayed,
                RecipientStatus.PermanentFailure => AttemptOutcome.Bounced,
                RecipientStatus.TryAgain => AttemptOutcome.SendAgain,
                _ => AttemptOutcome.Deferred,
            }, outcome.Reply, details, outcome.Reply.IsLocal, campaign: message.Campaign);
        }
        await SettleAsync(recorder).ConfigureAwait(false);
    }

    private OutcomeRecorder LocalFailure(WorkItem item, Exception error, AttemptConnection details)
    {
        var recorder = new OutcomeRecorder(context, domain, retries, logger);
        foreach (var recipient in item.Recipients)
        {
            var inARow = recipient.LocalFailures + 1;
            var outcome = LocalDeliveryFailure.IsFinal(inARow) ? AttemptOutcome.Bounced : AttemptOutcome.Deferred;
            recorder.Add(recipient, null, outcome, LocalDeliveryFailure.Reply(inARow, error), details, localReply: true, localFailuresInARow: inARow);
        }
        return recorder;
    }

    /// <summary>
    /// Before the final dot: the last transaction's outcomes are durable, and the shard's lease is still
    /// this node's. A node frozen (or cut off) mid-transaction that wakes past its lease sends no dot: its
    /// recipients are the new owner's to send, and they would otherwise arrive twice.
    /// </summary>
    private async Task<bool> BeforeEndOfDataAsync(CancellationToken cancellationToken)
    {
        foreach (var commit in _pendingCommits) await commit.WaitAsync(cancellationToken).ConfigureAwait(false);
        return !_leaseLost && context.OwnsDomain(domain);
    }

    /// <summary>Starts the commit of a transaction's outcomes; waits only when too many are still in flight.</summary>
    private async Task SettleAsync(OutcomeRecorder recorder)
    {
        while (_pendingCommits.Count >= MaxPendingCommits) await _pendingCommits.Dequeue().ConfigureAwait(false);
        // Outcomes are committed even when the node is stopping: the remote side already has the message.
        _pendingCommits.Enqueue(CommitAndTellAsync(recorder));
    }

    private async Task CommitAndTellAsync(OutcomeRecorder recorder)
    {
        try
        {
            entity.Tell(await recorder.CommitAsync(CancellationToken.None).ConfigureAwait(false));
        }
        catch (ShardLeaseLostException ex)
        {
            // Another node owns the domain now and sends what this one could not record: stop here.
            Retire = true;
            _leaseLost = true;
            logger.LogWarning(ex, "outcomes for {Domain} refused: this node lost the shard's lease", domain);
            entity.Tell(recorder.Unrecorded());
        }
        catch (Exception ex)
        {
            // Not recorded: the recipients stay due and are sent again (at-least-once), so the entity
            // must forget them rather than hold them in flight forever.
            logger.LogError(ex, "recording delivery outcomes for {Domain} failed", domain);
            entity.Tell(recorder.Unrecorded());
        }
    }

    private async Task DrainCommitsAsync()
    {
        while (_pendingCommits.TryDequeue(out var commit)) await commit.ConfigureAwait(false);
    }

    private static TransactionRecipient ToTransactionRecipient(QueuedRecipient recipient)
    {
        var original = StoredOriginalRecipient.Split(recipient.OriginalRecipient);
        return new TransactionRecipient(recipient.Address)
        {
            Notify = recipient.Notify,
            OriginalRecipient = original?.Address,
            OriginalRecipientType = original?.Type ?? "rfc822",
        };
    }
}
