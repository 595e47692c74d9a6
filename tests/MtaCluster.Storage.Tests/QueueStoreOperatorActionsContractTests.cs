namespace MtaCluster.Storage.Tests;

/// <summary>
/// An operator's bounce, retry and removal of one message, and the rule that keeps them safe beside a
/// delivery in flight: whichever of the operator's write and the owner's outcome commits first decides
/// a recipient, and the later one changes nothing. Part of <see cref="QueueStoreContractTests"/>.
/// </summary>
public abstract partial class QueueStoreContractTests
{
    private const string OperatorBounce = "554 5.0.0 bounced by the operator";

    [Fact]
    public async Task A_bounce_fails_the_pending_recipients_completes_the_message_and_an_outcome_in_flight_after_it_changes_nothing()
    {
        var store = await OpenStoreAsync();
        var message = MessageOfShard(6, Rcpt("a@x.test"), Rcpt("b@x.test"), Rcpt("c@y.test"));
        await store.EnqueueAsync(message);
        var rs = await store.GetRecipientsAsync(message.Id);
        await store.RecordAttemptsAsync([
            new RecipientAttempt(rs[0].RecipientId, RecipientState.Delivered, T0, "250 ok", AttemptedAt: T0),
            new RecipientAttempt(rs[1].RecipientId, RecipientState.Pending, T0.AddHours(1), "451 later", AttemptedAt: T0, RemoteMta: "mx.x.test"),
        ]);

        var bounced = await store.BounceMessageAsync(message.Id, OperatorBounce, T0.AddMinutes(3));
        Assert.NotNull(bounced);
        Assert.Equal(6, bounced.Shard);
        Assert.Equal(["b@x.test", "c@y.test"], bounced.Recipients.Select(r => r.Address));
        Assert.All(bounced.Recipients, r => Assert.Equal((RecipientState.Failed, OperatorBounce), (r.State, r.LastReply)));
        Assert.NotNull(bounced.Completed);
        Assert.Equal(2, bounced.Completed.Reportable);
        Assert.Equal([message.Id], (await store.GetCompletedMessagesAsync(6, 10)).Select(c => c.MessageId));

        var after = await store.GetRecipientsAsync(message.Id);
        Assert.Equal([RecipientState.Delivered, RecipientState.Failed, RecipientState.Failed], after.Select(r => r.State));
        // Not an attempt, and no receiver said it: attempts stay as they were, no remote MTA is named.
        Assert.Equal((1, null), (after[1].Attempts, after[1].RemoteMta));
        Assert.Equal(0, after[2].Attempts);

        // A delivery that was in flight reports after the bounce: the recipient stays failed, nothing completes again.
        Assert.Empty(await store.RecordAttemptsAsync([
            new RecipientAttempt(rs[1].RecipientId, RecipientState.Pending, T0.AddHours(2), "451 again"),
            new RecipientAttempt(rs[2].RecipientId, RecipientState.Delivered, T0, "250 ok"),
        ]));
        Assert.Equal([RecipientState.Delivered, RecipientState.Failed, RecipientState.Failed], (await store.GetRecipientsAsync(message.Id)).Select(r => r.State));
        Assert.Equal(OperatorBounce, (await store.GetRecipientsAsync(message.Id))[2].LastReply);
        // Nothing of it is handed out for sending any more, though it is still there for its DSN.
        Assert.Null(await store.LoadMessageAsync(message.Id));
        Assert.NotNull(await store.GetMessageAsync(message.Id));

        // A second bounce finds nothing pending; the finish queues one DSN, once.
        var again = await store.BounceMessageAsync(message.Id, OperatorBounce, T0.AddMinutes(4));
        Assert.Equal((0, null), (again!.Recipients.Count, again.Completed));
        Assert.True(await store.FinishMessageAsync(message.Id, [Notification("sender@example.org")]));
        Assert.False(await store.FinishMessageAsync(message.Id, [Notification("sender@example.org")]));
        Assert.Null(await store.BounceMessageAsync(message.Id, OperatorBounce, T0));
        Assert.Null(await store.BounceMessageAsync(QueueId.New(), OperatorBounce, T0));
    }

    [Fact]
    public async Task A_retry_makes_the_pending_recipients_due_now_and_leaves_final_ones_alone()
    {
        var store = await OpenStoreAsync();
        var message = Message(T0, Rcpt("a@x.test"), Rcpt("b@x.test"), Rcpt("c@y.test"));
        await store.EnqueueAsync(message);
        var rs = await store.GetRecipientsAsync(message.Id);
        await store.RecordAttemptsAsync([
            new RecipientAttempt(rs[0].RecipientId, RecipientState.Pending, T0.AddHours(4), "451 later"),
            new RecipientAttempt(rs[1].RecipientId, RecipientState.Failed, T0, "550 no"),
            new RecipientAttempt(rs[2].RecipientId, RecipientState.Pending, T0.AddHours(4), "451 later"),
        ]);
        var now = T0.AddMinutes(10);
        Assert.Empty(await store.GetDueRecipientsForDomainAsync("x.test", now, 10));

        var retried = await store.RetryMessageAsync(message.Id, now);
        Assert.Equal(["a@x.test", "c@y.test"], retried!.Recipients.Select(r => r.Address));
        Assert.All(retried.Recipients, r => Assert.Equal((RecipientState.Pending, now), (r.State, r.NextAttemptAt)));
        Assert.Equal(["a@x.test"], (await store.GetDueRecipientsForDomainAsync("x.test", now, 10)).Select(r => r.Address));
        Assert.Equal(now, await store.GetNextAttemptTimeAsync("y.test"));
        Assert.Equal((RecipientState.Failed, "550 no"), ((await store.GetRecipientsAsync(message.Id))[1].State, (await store.GetRecipientsAsync(message.Id))[1].LastReply));
        // Never later than it was: one already due stays as due.
        var earlier = await store.RetryMessageAsync(message.Id, now.AddMinutes(5));
        Assert.All(earlier!.Recipients, r => Assert.Equal(now, r.NextAttemptAt));
        Assert.Null(await store.RetryMessageAsync(QueueId.New(), now));
    }

    [Fact]
    public async Task A_removal_takes_the_message_whatever_its_state_queues_nothing_and_a_late_outcome_recreates_nothing()
    {
        var store = await OpenStoreAsync();
        var message = MessageOfShard(4, Rcpt("a@x.test"), Rcpt("b@x.test"));
        await store.EnqueueAsync(message);
        var rs = await store.GetRecipientsAsync(message.Id);
        // Complete and waiting for its DSN: removed all the same, and the DSN with it.
        await store.RecordAttemptsAsync([new RecipientAttempt(rs[0].RecipientId, RecipientState.Failed, T0, "550 no")]);
        var pending = Message(T0, Rcpt("c@x.test"));
        await store.EnqueueAsync(pending);
        var before = await store.GetStatisticsAsync();

        var removed = await store.RemoveMessageAsync(message.Id);
        Assert.Equal(["a@x.test", "b@x.test"], removed!.Recipients.Select(r => r.Address));
        Assert.Equal(4, removed.Shard);
        Assert.Null(await store.GetMessageAsync(message.Id));
        Assert.Empty(await store.GetRecipientsAsync(message.Id));
        await store.RecordAttemptsAsync([new RecipientAttempt(rs[1].RecipientId, RecipientState.Delivered, T0, "250 ok")]);
        await store.RecordAttemptsAsync([new RecipientAttempt(rs[1].RecipientId, RecipientState.Failed, T0, "550 no")]);
        Assert.Empty(await store.GetRecipientsAsync(message.Id));
        Assert.Empty(await store.GetCompletedMessagesAsync(null, 10));
        Assert.False(await store.FinishMessageAsync(message.Id, [Notification("sender@example.org")]));
        var stats = await store.GetStatisticsAsync();
        Assert.Equal((before.Messages - 1, before.Pending - 1), (stats.Messages, stats.Pending));

        Assert.Null(await store.RemoveMessageAsync(message.Id));
        Assert.Single((await store.RemoveMessageAsync(pending.Id))!.Recipients);
    }
}
