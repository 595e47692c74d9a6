using Npgsql;
using MtaCluster.Testing;

namespace MtaCluster.Storage.Tests.Postgres;

/// <summary>
/// Every owner write is applied only under the lease it was made for: once another node has taken
/// the shard (its epoch bumped), the same write is refused whole, with nothing of it applied.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresFencingTests(PostgresServerFixture fixture) : PostgresStoreTests(fixture)
{
    private const int DomainShard = 1;
    private const int MessageShard = 2;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await ShardLeases.CreateAsync(Server, Database);
        await ShardLeases.GrantAsync(Server, Database, DomainShard, "node-a", 7);
        await ShardLeases.GrantAsync(Server, Database, MessageShard, "node-a", 3);
    }

    private TestFencing NodeA() => new TestFencing("node-a").Hold(DomainShard, 7).Hold(MessageShard, 3);

    [Fact]
    public async Task Outcomes_apply_under_the_current_epoch_and_are_refused_whole_after_a_takeover()
    {
        var store = await OpenStoreAsync(NodeA());
        var message = Message(MessageShard, Rcpt("a@x.test", DomainShard), Rcpt("b@x.test", DomainShard));
        await store.EnqueueAsync(message);
        var rs = await store.GetRecipientsAsync(message.Id);

        await store.RecordAttemptsAsync([Outcome(rs[0], RecipientState.Pending, "451 later")]);
        Assert.Equal(1, (await store.GetRecipientsAsync(message.Id))[0].Attempts);

        await ShardLeases.TakeOverAsync(Server, Database, DomainShard, "node-b");
        var refused = await Assert.ThrowsAsync<ShardLeaseLostException>(() => store.RecordAttemptsAsync(
            [Outcome(rs[0], RecipientState.Delivered), Outcome(rs[1], RecipientState.Failed, "550 no")]));

        Assert.Equal([DomainShard], refused.Shards);
        var after = await store.GetRecipientsAsync(message.Id);
        Assert.All(after, r => Assert.Equal(RecipientState.Pending, r.State));
        Assert.Equal([1, 0], after.Select(r => r.Attempts));
        Assert.Equal("451 later", after[0].LastReply);
        Assert.Empty(await store.GetCompletedMessagesAsync(null, 10));
    }

    [Fact]
    public async Task A_shard_the_node_does_not_hold_or_that_has_no_lease_row_is_refused()
    {
        var store = await OpenStoreAsync(new TestFencing("node-a").Hold(MessageShard, 3).Hold(9, 1));
        var message = Message(MessageShard, Rcpt("a@x.test", DomainShard), Rcpt("b@y.test", 9));
        await store.EnqueueAsync(message);
        var rs = await store.GetRecipientsAsync(message.Id);

        var refused = await Assert.ThrowsAsync<ShardLeaseLostException>(() => store.RecordAttemptsAsync(
            [Outcome(rs[0], RecipientState.Delivered), Outcome(rs[1], RecipientState.Delivered)]));

        Assert.Equal([DomainShard, 9], refused.Shards.Order());
        Assert.All(await store.GetRecipientsAsync(message.Id), r => Assert.Equal(0, r.Attempts));
    }

    [Fact]
    public async Task Finishing_after_the_message_shard_was_taken_over_stores_no_notice_and_keeps_the_message()
    {
        var store = await OpenStoreAsync(NodeA());
        var message = Message(MessageShard, Rcpt("a@x.test", DomainShard));
        await store.EnqueueAsync(message);
        var r = Assert.Single(await store.GetRecipientsAsync(message.Id));
        Assert.Single(await store.RecordAttemptsAsync([Outcome(r, RecipientState.Failed, "550 no")]));

        await ShardLeases.TakeOverAsync(Server, Database, MessageShard, "node-b");
        var dsn = Notice("sender@example.org", DomainShard);
        var refused = await Assert.ThrowsAsync<ShardLeaseLostException>(() => store.FinishMessageAsync(message.Id, [dsn]));

        Assert.Equal([MessageShard], refused.Shards);
        Assert.Null(await store.GetMessageAsync(dsn.Id));
        Assert.NotNull(await store.GetMessageAsync(message.Id));
        Assert.Equal([message.Id], (await store.GetCompletedMessagesAsync(MessageShard, 10)).Select(c => c.MessageId));

        // The new owner, with its epoch, finishes it: exactly one DSN.
        await using var nodeB = CreateStore(new TestFencing("node-b").Hold(MessageShard, 4));
        await nodeB.InitializeAsync();
        Assert.True(await nodeB.FinishMessageAsync(message.Id, [dsn]));
        Assert.NotNull(await store.GetMessageAsync(dsn.Id));
        Assert.Null(await store.GetMessageAsync(message.Id));
    }

    [Fact]
    public async Task A_delay_notice_and_a_deletion_are_refused_after_a_takeover()
    {
        var store = await OpenStoreAsync(NodeA());
        var message = Message(MessageShard, Rcpt("a@x.test", DomainShard));
        await store.EnqueueAsync(message);
        var r = Assert.Single(await store.GetRecipientsAsync(message.Id));

        await ShardLeases.TakeOverAsync(Server, Database, MessageShard, "node-b");
        var notice = Notice("sender@example.org", DomainShard);
        await Assert.ThrowsAsync<ShardLeaseLostException>(() => store.RecordDelayNoticeAsync([r.RecipientId], T0.AddHours(4), notice));
        await Assert.ThrowsAsync<ShardLeaseLostException>(() => store.DeleteMessageAsync(message.Id));

        Assert.Null(await store.GetMessageAsync(notice.Id));
        Assert.Null(Assert.Single(await store.GetRecipientsAsync(message.Id)).DelayNoticeAt);
        Assert.NotNull(await store.GetMessageAsync(message.Id));
    }

    [Fact]
    public async Task Retained_messages_are_removed_only_in_shards_held_and_not_after_a_takeover()
    {
        await ShardLeases.GrantAsync(Server, Database, 5, "node-b", 1);
        var store = await OpenStoreAsync(NodeA());
        var mine = Message(MessageShard, Rcpt("a@x.test", DomainShard));
        var theirs = Message(5, Rcpt("b@x.test", DomainShard));
        foreach (var m in new[] { mine, theirs })
        {
            await store.EnqueueAsync(m);
            var r = Assert.Single(await store.GetRecipientsAsync(m.Id));
            await store.RecordAttemptsAsync([Outcome(r, RecipientState.Delivered)]);
        }
        // Finishing is the message shard owner's write: node-b finishes its own.
        await using (var nodeB = CreateStore(new TestFencing("node-b").Hold(5, 1)))
        {
            await nodeB.InitializeAsync();
            Assert.True(await nodeB.FinishMessageAsync(theirs.Id, [], retainUntil: T0));
        }
        Assert.True(await store.FinishMessageAsync(mine.Id, [], retainUntil: T0));

        Assert.Equal(1, await store.DeleteRetainedMessagesAsync(T0.AddDays(1), 10));
        Assert.Null(await store.GetMessageAsync(mine.Id));
        Assert.NotNull(await store.GetMessageAsync(theirs.Id));

        // A retained message of a shard node-a still believes it holds, taken over meanwhile.
        await ShardLeases.GrantAsync(Server, Database, 5, "node-b", 2);
        var stale = await OpenStoreAsync(NodeA().Hold(5, 1));
        var refused = await Assert.ThrowsAsync<ShardLeaseLostException>(() => stale.DeleteRetainedMessagesAsync(T0.AddDays(1), 10));
        Assert.Equal([5], refused.Shards);
        Assert.NotNull(await store.GetMessageAsync(theirs.Id));
    }

    [Fact]
    public async Task A_write_that_waits_for_a_takeover_in_progress_sees_the_bumped_epoch_and_is_refused()
    {
        var store = await OpenStoreAsync(NodeA());
        var message = Message(MessageShard, Rcpt("a@x.test", DomainShard));
        await store.EnqueueAsync(message);
        var r = Assert.Single(await store.GetRecipientsAsync(message.Id));

        // Another node's takeover, not yet committed: it holds the lease row.
        await using var takeover = new NpgsqlConnection(ConnectionString);
        await takeover.OpenAsync();
        await using var transaction = await takeover.BeginTransactionAsync();
        await using (var bump = new NpgsqlCommand($"UPDATE shard_leases SET owner = 'node-b', epoch = epoch + 1 WHERE shard = {DomainShard}", takeover, transaction))
            await bump.ExecuteNonQueryAsync();

        var write = store.RecordAttemptsAsync([Outcome(r, RecipientState.Delivered)]);
        await Poll.UntilAsync(async () => write.IsCompleted || await WaitingForALockAsync(), TimeSpan.FromSeconds(30), "the fenced write to wait for the lease row");
        Assert.False(write.IsCompleted, "the fenced write must wait for the takeover, not run beside it");
        await transaction.CommitAsync();

        var refused = await Assert.ThrowsAsync<ShardLeaseLostException>(() => write);
        Assert.Equal([DomainShard], refused.Shards);
        Assert.Equal(0, Assert.Single(await store.GetRecipientsAsync(message.Id)).Attempts);
    }

    [Fact]
    public async Task Accepting_mail_is_not_fenced()
    {
        var store = await OpenStoreAsync(new TestFencing("node-c"));
        var message = Message(MessageShard, Rcpt("a@x.test", DomainShard));
        await store.EnqueueAsync(message);
        Assert.Single(await store.GetRecipientsAsync(message.Id));
    }

    private async Task<bool> WaitingForALockAsync() =>
        (await PsqlAsync($"SELECT count(*) FROM pg_stat_activity WHERE datname = '{Database}' AND wait_event_type = 'Lock'")).Trim() != "0";
}
