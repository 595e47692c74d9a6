using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using MtaCluster.Delivery.Throttling;
using MtaCluster.Mail;
using MtaCluster.Storage;

namespace MtaCluster.Delivery.Domains;

// The domain's connections: taking a slot of the group and of the node, starting and retiring
// workers, and what their settled transactions and stops mean for the domain.
public sealed partial class DomainEntity
{
    /// <summary>A slot in the domain's throttle group and one in the node's budget, or none (and a place in the node's queue).</summary>
    private ConnectionLease? TryTakeConnection()
    {
        // The group's own limit first: a domain at its limit must not hold a place in the node's queue.
        if (_throttle.NextConnectionAvailableAt() is not { } at || at > _context.Time.GetUtcNow()) return null;
        var budget = _context.Connections;
        if (!budget.TryAcquire(_budgetWaiter))
        {
            _waitingForSlot = true;
            return null;
        }
        if (!_throttle.TryAcquireConnection())
        {
            budget.Release();
            return null;
        }
        return new ConnectionLease(_throttle, budget);
    }

    private void StartWorker(ConnectionLease lease)
    {
        var id = Interlocked.Increment(ref s_lastWorkerId);
        var worker = new DeliveryWorker(id, _context, _domain, _match.Policy, _route!, _ready.Reader, _retries, Self, lease, _logger);
        var token = Context.StoppingToken;
        _workers[id] = (worker, Task.Run(() => worker.RunAsync(token)));
    }

    private void OnSettled(TransactionSettled settled)
    {
        foreach (var id in settled.RecipientIds) ForgetInFlight(id);
        if (settled.CommitFailed)
        {
            _holdUntil = _context.Time.GetUtcNow() + StoreFailureHoldOff;
            _logger.LogWarning("{Domain}: outcomes could not be recorded; holding delivery for {Delay}", _domain, StoreFailureHoldOff);
        }
        _delivered += settled.Delivered;
        _deferred += settled.Deferred;
        _bounced += settled.Bounced;
        if (settled.Delivered > 0) _connectFailing = false;
        var changed = false;
        foreach (var reply in settled.TransientReplies) changed |= _backoff.OnReply(reply);
        // Transactions that were already under way when the receiver asked for a pause do not lift it.
        if (!_backoff.IsPaused)
        {
            for (var i = 0; i < settled.Delivered; i++) changed |= _backoff.OnSuccess();
        }
        if (settled.Deferred + settled.Bounced + settled.Delivered < settled.RecipientIds.Length) MayHaveMore();
        if (changed) OnLimitsChanged();
    }

    private void OnLimitsChanged()
    {
        var limits = _backoff.EffectiveLimits;
        _throttle.UpdateLimits(limits);
        if (_backoff.InBackoff)
        {
            _logger.LogWarning("{Domain} in backoff: {Connections} connections, {Rate}/min", _domain, limits.MaxConnections, limits.MaxMessagesPerMinute);
        }
        if (_backoff.IsPaused) ReturnReadyToBacklog();
        RetireWorkers(keep: _backoff.IsPaused ? 0 : limits.MaxConnections);
    }

    private async Task OnWorkerStoppedAsync(WorkerStopped stopped)
    {
        // The worker returned its slots itself, to the throttle it took them from; one of an earlier
        // incarnation (before a restart) is none of this one's business beyond that.
        if (!_workers.Remove(stopped.WorkerId)) return;
        // This machine ran short of sockets or ports: not the domain's doing and not an attempt. The
        // ready work stays, and waits for the node's budget, which pauses after such an error.
        if (stopped.ResourceShortage)
        {
            // Nor does it show whether the hosts take connections; with no worker left to show it, the next one will.
            if (_workers.Count == 0) _connectFailing = false;
            return;
        }
        if (stopped.ConnectFailure is not { } failure)
        {
            // It had a connection, whatever it then sent: the hosts take connections, so a failure of
            // another one is no reason to stop opening them (its transactions settled on their own).
            _connectFailing = false;
            return;
        }
        // No host took this connection. Open no more until the others have shown whether theirs work:
        // replacing a failed connection at once would hammer a refusing receiver.
        _connectFailing = true;
        if (_workers.Count > 0)
        {
            // A receiver's own refusal ("421 too many connections") is the backoff signal it is meant to be.
            if (!stopped.LocalFailure && _backoff.OnReply(failure)) OnLimitsChanged();
            return;
        }
        // Every connection failed: everything queued waits for the next retry.
        _route = null;
        _connectFailing = false;
        await FailEverythingQueuedAsync(failure, permanent: false, stopped.LocalFailure).ConfigureAwait(false);
    }

    /// <summary>Settles every queued (not yet sending) recipient with one reply: bounced when permanent, else deferred on the retry schedule.</summary>
    private async Task FailEverythingQueuedAsync(SmtpReply reply, bool permanent, bool local)
    {
        ReturnReadyToBacklog();
        foreach (var send in _sends.RemoveAll()) _backlog.Enqueue(send.Item);
        if (_backlog.Count == 0) return;
        _logger.LogInformation("{Domain}: {Outcome} {Count} transactions: {Reply}", _domain, permanent ? "bouncing" : "deferring", _backlog.Count, reply.ToLine());
        var recorder = new OutcomeRecorder(_context, _domain, _retries, _logger);
        while (_backlog.TryDequeue(out var item))
        {
            var (sender, campaign) = await SenderOfAsync(item.MessageId).ConfigureAwait(false);
            foreach (var recipient in item.Recipients)
            {
                recorder.Add(recipient, sender, permanent ? AttemptOutcome.Bounced : AttemptOutcome.Deferred, reply, AttemptConnection.None, local, campaign: campaign);
            }
        }
        OnSettled(await recorder.CommitAsync(CancellationToken.None).ConfigureAwait(false));
        MayHaveMore();
    }

    /// <summary>
    /// The envelope sender for the accounting record of a message that was never loaded (a routing or
    /// connection failure); null when it is gone or the spool cannot be read, which must not keep the
    /// outcome from being recorded. This reads the message once per transaction, on a failure path only.
    /// </summary>
    private async Task<(string? Sender, string? Campaign)> SenderOfAsync(string messageId)
    {
        try
        {
            var message = await _context.Store.GetMessageAsync(messageId).ConfigureAwait(false);
            return (message?.ReversePath, message?.Campaign);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _logger.LogWarning(ex, "{Domain}: cannot read the sender of {Message} from the spool", _domain, messageId);
            return (null, null);
        }
    }

    private void ReturnReadyToBacklog()
    {
        if (_ready.Reader.Count == 0) return;
        var keep = _backlog.ToArray();
        _backlog.Clear();
        while (_ready.Reader.TryRead(out var item)) _backlog.Enqueue(item);
        foreach (var item in keep) _backlog.Enqueue(item);
    }

    private void RetireWorkers(int keep)
    {
        foreach (var (worker, _) in _workers.Values.OrderByDescending(w => w.Worker.Id).Take(Math.Max(0, _workers.Count - keep)))
        {
            worker.Retire = true;
        }
    }

    private static Channel<WorkItem> NewReadyChannel() =>
        Channel.CreateUnbounded<WorkItem>(new UnboundedChannelOptions { SingleWriter = true });
}
