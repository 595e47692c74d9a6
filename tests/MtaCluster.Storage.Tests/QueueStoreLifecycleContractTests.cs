namespace MtaCluster.Storage.Tests;

/// <summary>
/// What every provider must do for a message's life after delivery: completion recorded with the last
/// outcome, one finishing transaction that queues notifications and removes the message, retention,
/// and delay-notice bookkeeping. Part of <see cref="QueueStoreContractTests"/>.
/// </summary>
public abstract partial class QueueStoreContractTests
{
    private static SpoolMessage Notification(string to) =>
        new(QueueId.New(), "", [Rcpt(to, shard: 2)], "Subject: notice\r\n\r\nbody\r\n"u8.ToArray(), T0, Shard: 5);

    private static SpoolMessage MessageOfShard(int shard, params SpoolRecipient[] recipients) =>
        Message(T0, recipients) with { Shard = shard };

    [Fact]
    public async Task A_message_is_complete_once_its_last_recipient_is_final_and_not_before()
    {
        var store = await OpenStoreAsync();
        var message = MessageOfShard(7, Rcpt("a@x.test"), Rcpt("b@x.test"), Rcpt("c@x.test"));
        await store.EnqueueAsync(message);
        var rs = await store.GetRecipientsAsync(message.Id);

        Assert.Empty(await store.RecordAttemptsAsync([new RecipientAttempt(rs[0].RecipientId, RecipientState.Delivered, T0, "250")]));
        Assert.Empty(await store.RecordAttemptsAsync([new RecipientAttempt(rs[1].RecipientId, RecipientState.Pending, T0.AddMinutes(5), "451")]));
        Assert.Empty(await store.GetCompletedMessagesAsync(7, 10));
        Assert.Empty(await store.GetCompletedMessagesAsync(null, 10));

        var completedNow = await store.RecordAttemptsAsync(
        [
            new RecipientAttempt(rs[1].RecipientId, RecipientState.Failed, T0, "550 5.1.1", AttemptedAt: T0.AddMinutes(6), RemoteMta: "mx1.x.test"),
            new RecipientAttempt(rs[2].RecipientId, RecipientState.Expired, T0, "expired", AttemptedAt: T0.AddMinutes(6)),
        ]);
        Assert.Equal([message.Id], completedNow.Select(c => c.MessageId));
        Assert.Equal(2, completedNow[0].Reportable);
        var completed = Assert.Single(await store.GetCompletedMessagesAsync(7, 10));
        Assert.Equal(message.Id, completed.MessageId);
        Assert.Equal(7, completed.Shard);
        Assert.Equal(T0.AddMinutes(6), completed.CompletedAt);
        Assert.Empty(await store.GetCompletedMessagesAsync(6, 10));
        Assert.Equal([message.Id], (await store.GetCompletedMessagesAsync(null, 10)).Select(c => c.MessageId));
        var failed = (await store.GetRecipientsAsync(message.Id))[1];
        Assert.Equal((T0.AddMinutes(6), "mx1.x.test"), (failed.LastAttemptAt, failed.RemoteMta));

        // Recording again (a duplicate report) neither errors nor completes it twice.
        Assert.Empty(await store.RecordAttemptsAsync([new RecipientAttempt(rs[2].RecipientId, RecipientState.Expired, T0, "expired")]));
        Assert.Single(await store.GetCompletedMessagesAsync(7, 10));
    }

    [Fact]
    public async Task Completed_messages_come_oldest_completion_first_a_page_at_a_time()
    {
        var store = await OpenStoreAsync();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var message = MessageOfShard(3, Rcpt($"r{i}@x.test"));
            await store.EnqueueAsync(message);
            var r = Assert.Single(await store.GetRecipientsAsync(message.Id));
            await store.RecordAttemptsAsync([new RecipientAttempt(r.RecipientId, RecipientState.Delivered, T0, "250")]);
            ids.Add(message.Id);
        }
        var page = await store.GetCompletedMessagesAsync(3, 3);
        Assert.Equal(3, page.Count);
        Assert.True(page.Zip(page.Skip(1)).All(p => p.First.CompletedAt <= p.Second.CompletedAt));
        Assert.All(page, c => Assert.Contains(c.MessageId, ids));
    }

    [Fact]
    public async Task Completed_messages_of_some_shards_are_read_without_the_others_oldest_first()
    {
        var store = await OpenStoreAsync();
        var byShard = new Dictionary<int, List<string>>();
        // The other shards' completions come first, as a dead node's would pile up before its shards are taken.
        foreach (var (shard, minute) in new[] { (9, 1), (9, 2), (9, 3), (4, 4), (2, 5), (4, 6) })
        {
            var message = MessageOfShard(shard, Rcpt($"r{minute}@x.test"));
            await store.EnqueueAsync(message);
            var r = Assert.Single(await store.GetRecipientsAsync(message.Id));
            await store.RecordAttemptsAsync([new RecipientAttempt(r.RecipientId, RecipientState.Failed, T0, "550", AttemptedAt: T0.AddMinutes(minute))]);
            (byShard.TryGetValue(shard, out var ids) ? ids : byShard[shard] = []).Add(message.Id);
        }

        var page = await store.GetCompletedMessagesOfShardsAsync([2, 4], 2);

        Assert.Equal([byShard[4][0], byShard[2][0]], page.Select(c => c.MessageId));
        Assert.Equal(3, (await store.GetCompletedMessagesOfShardsAsync([2, 4, 7], 10)).Count);
        Assert.Empty(await store.GetCompletedMessagesOfShardsAsync([], 10));
    }

    [Fact]
    public async Task Finishing_queues_the_notifications_and_removes_the_message_in_one_step_and_only_once()
    {
        var store = await OpenStoreAsync();
        var message = MessageOfShard(1, Rcpt("a@x.test"), Rcpt("b@y.test"));
        await store.EnqueueAsync(message);
        var rs = await store.GetRecipientsAsync(message.Id);
        Assert.False(await store.FinishMessageAsync(message.Id, [Notification("sender@example.org")]));
        Assert.Equal(1, (await store.GetStatisticsAsync()).Messages);

        await store.RecordAttemptsAsync(
        [
            new RecipientAttempt(rs[0].RecipientId, RecipientState.Failed, T0, "550 5.1.1 no such user"),
            new RecipientAttempt(rs[1].RecipientId, RecipientState.Delivered, T0, "250"),
        ]);
        var dsn = Notification("sender@example.org");
        Assert.True(await store.FinishMessageAsync(message.Id, [dsn]));

        Assert.Null(await store.GetMessageAsync(message.Id));
        Assert.Empty(await store.GetRecipientsAsync(message.Id));
        Assert.Empty(await store.GetCompletedMessagesAsync(1, 10));
        var queued = await store.GetMessageAsync(dsn.Id);
        Assert.NotNull(queued);
        Assert.Equal("", queued.ReversePath);
        Assert.Equal(["sender@example.org"], (await store.GetRecipientsAsync(dsn.Id)).Select(r => r.Address));

        // A second finish (a restarted owner that had not seen the first commit) stores nothing.
        Assert.False(await store.FinishMessageAsync(message.Id, [Notification("sender@example.org")]));
        Assert.Equal(new QueueStatistics(1, 1, 0, 0, 0), await store.GetStatisticsAsync());
    }

    [Fact]
    public async Task Finishing_without_notifications_only_removes()
    {
        var store = await OpenStoreAsync();
        var message = MessageOfShard(1, Rcpt("a@x.test"));
        await store.EnqueueAsync(message);
        var r = Assert.Single(await store.GetRecipientsAsync(message.Id));
        await store.RecordAttemptsAsync([new RecipientAttempt(r.RecipientId, RecipientState.Delivered, T0, "250")]);
        Assert.True(await store.FinishMessageAsync(message.Id, []));
        Assert.Equal(new QueueStatistics(0, 0, 0, 0, 0), await store.GetStatisticsAsync());
    }

    [Fact]
    public async Task A_retained_message_stays_readable_until_its_retention_ends()
    {
        var store = await OpenStoreAsync();
        var message = MessageOfShard(1, Rcpt("a@x.test"));
        await store.EnqueueAsync(message);
        var r = Assert.Single(await store.GetRecipientsAsync(message.Id));
        await store.RecordAttemptsAsync([new RecipientAttempt(r.RecipientId, RecipientState.Delivered, T0, "250")]);

        Assert.True(await store.FinishMessageAsync(message.Id, [], retainUntil: T0.AddDays(1)));
        Assert.NotNull(await store.GetMessageAsync(message.Id));
        Assert.Empty(await store.GetCompletedMessagesAsync(1, 10));
        Assert.False(await store.FinishMessageAsync(message.Id, [Notification("x@example.org")]));

        Assert.Equal(0, await store.DeleteRetainedMessagesAsync(T0.AddHours(23), 100));
        Assert.NotNull(await store.GetMessageAsync(message.Id));
        Assert.Equal(1, await store.DeleteRetainedMessagesAsync(T0.AddDays(1), 100));
        Assert.Null(await store.GetMessageAsync(message.Id));
        Assert.Equal(new QueueStatistics(0, 0, 0, 0, 0), await store.GetStatisticsAsync());
    }

    [Fact]
    public async Task Deleting_a_complete_message_directly_also_forgets_its_completion()
    {
        var store = await OpenStoreAsync();
        var message = MessageOfShard(1, Rcpt("a@x.test"));
        await store.EnqueueAsync(message);
        var r = Assert.Single(await store.GetRecipientsAsync(message.Id));
        await store.RecordAttemptsAsync([new RecipientAttempt(r.RecipientId, RecipientState.Failed, T0, "550")]);
        await store.DeleteMessageAsync(message.Id);
        Assert.Empty(await store.GetCompletedMessagesAsync(1, 10));
        Assert.False(await store.FinishMessageAsync(message.Id, [Notification("x@example.org")]));
    }

    [Fact]
    public async Task A_delay_notice_marks_the_pending_recipients_and_queues_the_notice_together()
    {
        var store = await OpenStoreAsync();
        var message = MessageOfShard(1, Rcpt("a@x.test"), Rcpt("b@x.test"));
        await store.EnqueueAsync(message);
        var rs = await store.GetRecipientsAsync(message.Id);
        Assert.All(rs, x => Assert.Null(x.DelayNoticeAt));
        await store.RecordAttemptsAsync([new RecipientAttempt(rs[1].RecipientId, RecipientState.Delivered, T0, "250")]);

        var notice = Notification("sender@example.org");
        Assert.True(await store.RecordDelayNoticeAsync([rs[0].RecipientId, rs[1].RecipientId], T0.AddHours(4), notice));

        var after = await store.GetRecipientsAsync(message.Id);
        Assert.Equal(T0.AddHours(4), after[0].DelayNoticeAt);
        Assert.Null(after[1].DelayNoticeAt);
        Assert.NotNull(await store.GetMessageAsync(notice.Id));
        Assert.Equal(after[0].DelayNoticeAt, (await store.GetDueRecipientsAsync(1, T0.AddDays(1), 10)).Single(x => x.RecipientId == rs[0].RecipientId).DelayNoticeAt);
    }

    [Fact]
    public async Task A_relayed_recipient_is_final_counts_as_delivered_and_is_reported_by_the_completion()
    {
        var store = await OpenStoreAsync();
        var message = MessageOfShard(4, Rcpt("a@x.test"), Rcpt("b@x.test"));
        await store.EnqueueAsync(message);
        var rs = await store.GetRecipientsAsync(message.Id);

        Assert.Empty(await store.RecordAttemptsAsync([new RecipientAttempt(rs[0].RecipientId, RecipientState.Relayed, T0, "250 2.0.0 queued", RemoteMta: "mx.x.test")]));
        Assert.Empty(await store.GetDueRecipientsAsync(4, T0.AddDays(1), 10));
        var completed = Assert.Single(await store.RecordAttemptsAsync([new RecipientAttempt(rs[1].RecipientId, RecipientState.Delivered, T0, "250")]));
        // The relayed recipient is owed a report: the completion must not send the message down the no-read path.
        Assert.Equal(1, completed.Reportable);
        Assert.Equal(1, Assert.Single(await store.GetCompletedMessagesAsync(4, 10)).Reportable);
        Assert.Equal(RecipientState.Relayed, (await store.GetRecipientsAsync(message.Id))[0].State);
        Assert.Equal(new QueueStatistics(1, 0, 2, 0, 0), await store.GetStatisticsAsync());
    }

    [Fact]
    public async Task A_delay_notice_for_recipients_that_are_all_final_is_not_stored()
    {
        var store = await OpenStoreAsync();
        var message = MessageOfShard(1, Rcpt("a@x.test"), Rcpt("b@x.test"));
        await store.EnqueueAsync(message);
        var rs = await store.GetRecipientsAsync(message.Id);
        // The outcomes were committed after the notice was composed, before it was recorded.
        await store.RecordAttemptsAsync(
        [
            new RecipientAttempt(rs[0].RecipientId, RecipientState.Failed, T0, "550"),
            new RecipientAttempt(rs[1].RecipientId, RecipientState.Delivered, T0, "250"),
        ]);

        var notice = Notification("sender@example.org");
        Assert.False(await store.RecordDelayNoticeAsync([rs[0].RecipientId, rs[1].RecipientId], T0.AddHours(4), notice));

        Assert.Null(await store.GetMessageAsync(notice.Id));
        Assert.All(await store.GetRecipientsAsync(message.Id), r => Assert.Null(r.DelayNoticeAt));
        // And for a message that is gone.
        Assert.True(await store.FinishMessageAsync(message.Id, []));
        Assert.False(await store.RecordDelayNoticeAsync([rs[0].RecipientId], T0.AddHours(4), notice));
        Assert.Null(await store.GetMessageAsync(notice.Id));
    }

    [Fact]
    public async Task The_space_report_counts_the_file_and_its_free_pages()
    {
        var store = await OpenStoreAsync();
        var ids = new List<string>();
        for (var i = 0; i < 50; i++)
        {
            var message = new SpoolMessage(QueueId.New(), "s@example.org", [Rcpt($"r{i}@x.test")], Body(64 * 1024, i), T0);
            await store.EnqueueAsync(message);
            ids.Add(message.Id);
        }
        var full = await store.GetSpaceAsync();
        Assert.True(full.FileBytes >= 50L * 64 * 1024 || full.WriteAheadLogBytes > 0, $"{full}");
        foreach (var id in ids)
            await store.DeleteMessageAsync(id);
        await store.ReclaimFreeSpaceAsync(int.MaxValue);
        var after = await store.GetSpaceAsync();
        Assert.True(after.FreeBytes <= after.FileBytes, $"{after}");
    }
}
