namespace MtaCluster.Storage.Tests;

// An operator's actions on one domain's queue: flush (retry now) and purge (delete without a DSN).
public abstract partial class QueueStoreContractTests
{
    private static async Task<long> IdOfAsync(IQueueStore store, SpoolMessage message, string address) =>
        (await store.GetRecipientsAsync(message.Id)).Single(r => r.Address == address).RecipientId;

    [Fact]
    public async Task A_flush_makes_every_pending_recipient_of_the_domain_due_now_and_nothing_else()
    {
        var store = await OpenStoreAsync();
        var deferred = Message(T0, Rcpt("a@one.test"), Rcpt("b@one.test"), Rcpt("c@two.test"));
        var due = Message(T0, Rcpt("d@one.test"));
        await store.EnqueueAsync(deferred);
        await store.EnqueueAsync(due);
        var later = T0.AddHours(1);
        await store.RecordAttemptsAsync(
        [
            new RecipientAttempt(await IdOfAsync(store, deferred, "a@one.test"), RecipientState.Pending, later, "451 4.7.1 try later", AttemptedAt: T0),
            new RecipientAttempt(await IdOfAsync(store, deferred, "b@one.test"), RecipientState.Delivered, T0, "250 ok", AttemptedAt: T0),
            new RecipientAttempt(await IdOfAsync(store, deferred, "c@two.test"), RecipientState.Pending, later, "451 4.7.1 try later", AttemptedAt: T0),
        ]);
        var now = T0.AddMinutes(1);
        Assert.Equal(["d@one.test"], (await store.GetDueRecipientsForDomainAsync("one.test", now, 10)).Select(r => r.Address));

        // Only a@one.test was waiting: d was due already, b is final, c is another domain's.
        Assert.Equal(1, await store.FlushDomainAsync("one.test", now));

        Assert.Equal(["a@one.test", "d@one.test"], (await store.GetDueRecipientsForDomainAsync("one.test", now, 10)).Select(r => r.Address).Order());
        Assert.Equal(now, (await store.GetRecipientsAsync(deferred.Id)).Single(r => r.Address == "a@one.test").NextAttemptAt);
        Assert.Equal(T0, (await store.GetRecipientsAsync(due.Id)).Single().NextAttemptAt);
        Assert.Equal(later, await store.GetNextAttemptTimeAsync("two.test"));
        Assert.Equal(RecipientState.Delivered, (await store.GetRecipientsAsync(deferred.Id)).Single(r => r.Address == "b@one.test").State);
        Assert.Equal(0, await store.FlushDomainAsync("one.test", now));
        Assert.Equal(0, await store.FlushDomainAsync("nothing-queued.test", now));
    }

    [Fact]
    public async Task A_purge_deletes_the_domains_pending_recipients_and_the_messages_left_empty_and_completes_the_rest()
    {
        var store = await OpenStoreAsync();
        var onlyHere = Message(T0, Rcpt("a@one.test"), Rcpt("b@one.test"));
        var elsewhereDone = Message(T0, Rcpt("c@one.test"), Rcpt("d@two.test"));
        var elsewherePending = Message(T0, Rcpt("e@one.test"), Rcpt("f@two.test"));
        foreach (var m in new[] { onlyHere, elsewhereDone, elsewherePending }) await store.EnqueueAsync(m);
        var purgedId = await IdOfAsync(store, onlyHere, "a@one.test");
        await store.RecordAttemptsAsync(
        [
            new RecipientAttempt(await IdOfAsync(store, elsewhereDone, "d@two.test"), RecipientState.Failed, T0, "550 5.1.1 no such user", AttemptedAt: T0),
            new RecipientAttempt(await IdOfAsync(store, elsewherePending, "e@one.test"), RecipientState.Delivered, T0, "250 ok", AttemptedAt: T0),
        ]);

        var purge = await store.PurgeDomainAsync("one.test", T0.AddMinutes(1));

        Assert.Equal("one.test", purge.Domain);
        Assert.Equal(["a@one.test", "b@one.test", "c@one.test"], purge.Recipients.Select(r => r.Address).Order());
        Assert.Contains(purge.Recipients, r => r.RecipientId == purgedId && r.MessageId == onlyHere.Id);
        Assert.Equal(1, purge.RemovedMessages);
        Assert.Equal([elsewhereDone.Id], purge.Completed.Select(c => c.MessageId));
        Assert.Null(await store.GetMessageAsync(onlyHere.Id));
        Assert.Equal(["d@two.test"], (await store.GetRecipientsAsync(elsewhereDone.Id)).Select(r => r.Address));
        Assert.Contains(await store.GetCompletedMessagesAsync(null, 10), c => c.MessageId == elsewhereDone.Id);
        // A delivered recipient is history, not queue: it stays, and so does its message, still pending elsewhere.
        Assert.Equal(["e@one.test", "f@two.test"], (await store.GetRecipientsAsync(elsewherePending.Id)).Select(r => r.Address));
        Assert.Null(await store.GetNextAttemptTimeAsync("one.test"));
        Assert.Equal(0, (await store.GetDomainQueueAsync("one.test")).Pending);

        // A worker that had a@one.test in flight records its outcome: nothing fails and nothing comes back.
        Assert.Empty(await store.RecordAttemptsAsync([new RecipientAttempt(purgedId, RecipientState.Delivered, T0.AddMinutes(2), "250 ok", AttemptedAt: T0.AddMinutes(2))]));
        Assert.Empty(await store.RecordAttemptsAsync([new RecipientAttempt(purgedId, RecipientState.Pending, T0.AddHours(1), "451 later", AttemptedAt: T0.AddMinutes(2))]));
        Assert.Null(await store.GetMessageAsync(onlyHere.Id));
        Assert.Empty(await store.GetRecipientsAsync(onlyHere.Id));
        Assert.Equal(new QueueStatistics(2, 1, 1, 1, 0), await store.GetStatisticsAsync());

        var again = await store.PurgeDomainAsync("one.test", T0.AddMinutes(3));
        Assert.Empty(again.Recipients);
        Assert.Equal(0, again.RemovedMessages);
    }
}
