namespace MtaCluster.Storage.Tests;

/// <summary>
/// What every provider answers the control plane: the queue's summary, its largest domains, one
/// domain's queue and last error, and a message's completion. Part of <see cref="QueueStoreContractTests"/>.
/// </summary>
public abstract partial class QueueStoreContractTests
{
    [Fact]
    public async Task The_queue_summary_counts_recipients_by_state_and_names_the_oldest_pending_queue_time()
    {
        var store = await OpenStoreAsync();
        var empty = await store.GetQueueSummaryAsync();
        Assert.Equal(new QueueStatistics(0, 0, 0, 0, 0), empty.Totals);
        Assert.Null(empty.OldestPendingQueuedAt);

        var old = Message(T0, Rcpt("a@x.test"), Rcpt("b@y.test"));
        var young = Message(T0.AddMinutes(10), Rcpt("c@x.test"));
        await store.EnqueueAsync(old);
        await store.EnqueueAsync(young);
        var rs = await store.GetRecipientsAsync(old.Id);
        // Both of the old message's recipients final: the oldest pending one is now the young message's.
        await store.RecordAttemptsAsync(
        [
            new RecipientAttempt(rs[0].RecipientId, RecipientState.Delivered, T0, "250 ok"),
            new RecipientAttempt(rs[1].RecipientId, RecipientState.Failed, T0, "550 5.1.1 no such user"),
        ]);

        var summary = await store.GetQueueSummaryAsync();
        Assert.Equal(1, summary.Totals.Pending);
        Assert.Equal(1, summary.Totals.Delivered);
        Assert.Equal(1, summary.Totals.Failed);
        Assert.Equal(0, summary.Totals.Expired);
        Assert.Equal(T0.AddMinutes(10), summary.OldestPendingQueuedAt);
        Assert.Equal(await store.GetStatisticsAsync(), summary.Totals);
    }

    [Fact]
    public async Task The_top_domains_are_those_with_most_pending_recipients_with_their_oldest_and_last_error()
    {
        var store = await OpenStoreAsync();
        for (var i = 0; i < 3; i++)
            await store.EnqueueAsync(Message(T0.AddMinutes(i), Rcpt($"r{i}@big.test")));
        await store.EnqueueAsync(Message(T0.AddMinutes(5), Rcpt("a@mid.test"), Rcpt("b@mid.test")));
        await store.EnqueueAsync(Message(T0.AddMinutes(7), Rcpt("a@small.test")));
        var delivered = Message(T0, Rcpt("done@gone.test"), Rcpt("done2@gone.test"), Rcpt("done3@gone.test"), Rcpt("done4@gone.test"));
        await store.EnqueueAsync(delivered);
        await store.RecordAttemptsAsync((await store.GetRecipientsAsync(delivered.Id))
            .Select(r => new RecipientAttempt(r.RecipientId, RecipientState.Delivered, T0, "250 ok")).ToList());
        var big = await store.GetDueRecipientsForDomainAsync("big.test", T0.AddHours(1), 10);
        await store.RecordAttemptsAsync(
        [
            new RecipientAttempt(big[0].RecipientId, RecipientState.Pending, T0.AddMinutes(30), "451 4.7.1 try later", AttemptedAt: T0.AddMinutes(20)),
            new RecipientAttempt(big[1].RecipientId, RecipientState.Pending, T0.AddMinutes(30), "421 4.7.0 too many connections", AttemptedAt: T0.AddMinutes(21)),
        ]);

        var top = await store.GetTopDomainsAsync(2);
        Assert.Equal(["big.test", "mid.test"], top.Select(d => d.Domain));
        Assert.Equal(3, top[0].Pending);
        Assert.Equal(T0, top[0].OldestQueuedAt);
        Assert.Equal("421 4.7.0 too many connections", top[0].LastReply);
        Assert.Equal(T0.AddMinutes(21), top[0].LastAttemptAt);
        Assert.Equal(2, top[1].Pending);
        Assert.Equal(T0.AddMinutes(5), top[1].OldestQueuedAt);
        Assert.Null(top[1].LastReply);
        // A domain with nothing pending is not listed, however many recipients it had.
        Assert.DoesNotContain("gone.test", (await store.GetTopDomainsAsync(10)).Select(d => d.Domain));
        Assert.Equal(3, (await store.GetTopDomainsAsync(10)).Count);
    }

    [Fact]
    public async Task A_domains_queue_counts_its_pending_recipients_and_keeps_a_bounce_as_its_last_error()
    {
        var store = await OpenStoreAsync();
        var message = Message(T0, Rcpt("a@x.test"), Rcpt("b@x.test"), Rcpt("c@other.test"));
        await store.EnqueueAsync(message);
        var rs = await store.GetRecipientsAsync(message.Id);
        await store.RecordAttemptsAsync([new RecipientAttempt(rs[0].RecipientId, RecipientState.Failed, T0, "550 5.1.1 no such user", AttemptedAt: T0.AddMinutes(1))]);
        // A later delivery is not an error and does not hide the bounce.
        await store.RecordAttemptsAsync([new RecipientAttempt(rs[1].RecipientId, RecipientState.Delivered, T0, "250 ok", AttemptedAt: T0.AddMinutes(2))]);

        var x = await store.GetDomainQueueAsync("x.test");
        Assert.Equal(new DomainQueue("x.test", 0, null, "550 5.1.1 no such user", T0.AddMinutes(1)), x);
        var other = await store.GetDomainQueueAsync("other.test");
        Assert.Equal(new DomainQueue("other.test", 1, T0, null, null), other);
        Assert.Equal(new DomainQueue("unknown.test", 0, null, null, null), await store.GetDomainQueueAsync("unknown.test"));
    }

    [Fact]
    public async Task A_messages_completion_is_absent_while_a_recipient_is_pending_and_shows_retention_once_finished()
    {
        var store = await OpenStoreAsync();
        var message = Message(T0, Rcpt("a@x.test"), Rcpt("b@x.test"));
        await store.EnqueueAsync(message);
        var rs = await store.GetRecipientsAsync(message.Id);
        await store.RecordAttemptsAsync([new RecipientAttempt(rs[0].RecipientId, RecipientState.Failed, T0, "550", AttemptedAt: T0.AddMinutes(1))]);
        Assert.Null(await store.GetMessageCompletionAsync(message.Id));

        await store.RecordAttemptsAsync([new RecipientAttempt(rs[1].RecipientId, RecipientState.Delivered, T0, "250", AttemptedAt: T0.AddMinutes(2))]);
        var complete = await store.GetMessageCompletionAsync(message.Id);
        Assert.NotNull(complete);
        Assert.Equal((T0.AddMinutes(2), 1, false), (complete.CompletedAt, complete.Reportable, complete.Finished));

        Assert.True(await store.FinishMessageAsync(message.Id, [], retainUntil: T0.AddDays(1)));
        var finished = await store.GetMessageCompletionAsync(message.Id);
        Assert.NotNull(finished);
        Assert.True(finished.Finished);
        Assert.Equal(T0.AddDays(1), finished.RetainedUntil);
        Assert.Null(await store.GetMessageCompletionAsync("no-such-message"));
    }
}
