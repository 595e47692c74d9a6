using System.Collections.Concurrent;
using System.Text;
using MtaCluster.Mail;

namespace MtaCluster.Storage.Tests;

/// <summary>
/// What every <see cref="IQueueStore"/> provider must do. A provider's test class derives from this
/// and says how to reach a store on storage of its own.
/// </summary>
public abstract partial class QueueStoreContractTests : IAsyncLifetime
{
    protected static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_767_225_600_000);

    private readonly List<IQueueStore> _stores = [];

    /// <summary>
    /// A new, uninitialized provider instance on this test's storage. Every call within one test
    /// reaches the same storage (that is how reopening is tested); different tests never share it.
    /// </summary>
    protected abstract IQueueStore CreateStore();

    /// <summary>A new initialized instance on this test's storage, disposed when the test ends.</summary>
    protected async Task<IQueueStore> OpenStoreAsync()
    {
        var store = CreateStore();
        _stores.Add(store);
        await store.InitializeAsync();
        return store;
    }

    /// <summary>Disposes a store opened by <see cref="OpenStoreAsync"/> before the test ends.</summary>
    protected async Task CloseStoreAsync(IQueueStore store)
    {
        _stores.Remove(store);
        await store.DisposeAsync();
    }

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        foreach (var store in _stores)
            await store.DisposeAsync();
        _stores.Clear();
    }

    protected static SpoolRecipient Rcpt(string address, int shard = 1, string? domain = null) =>
        new(address, domain ?? address[(address.IndexOf('@') + 1)..], shard);

    protected static SpoolMessage Message(DateTimeOffset receivedAt, params SpoolRecipient[] recipients) =>
        new(QueueId.New(), "sender@example.org", recipients, Body(2048, receivedAt.ToUnixTimeMilliseconds()), receivedAt);

    /// <summary>A body with CRLFs, NULs, high bytes and invalid UTF-8, so any text round trip would show.</summary>
    protected static byte[] Body(int size, long seed)
    {
        var random = new Random(unchecked((int)seed));
        var body = new byte[size];
        random.NextBytes(body);
        var header = "Subject: test\r\n\r\n"u8;
        header[..Math.Min(header.Length, size)].CopyTo(body);
        if (size > 40)
        {
            body[20] = 0x00;
            body[21] = 0xFF;
            body[22] = 0xC3; // a UTF-8 lead byte with no continuation
            body[23] = (byte)'\r';
            body[24] = (byte)'\n';
        }
        return body;
    }

    protected static async Task AssertSameContentAsync(MessageContent expected, StoredMessage? stored)
    {
        Assert.NotNull(stored);
        Assert.Equal(expected.Length, stored.Body.Length);
        var actual = await stored.Body.ReadAllBytesAsync();
        Assert.True(expected.ToArray().AsSpan().SequenceEqual(actual), "the stored body differs from the enqueued one");
    }

    [Fact]
    public async Task Enqueued_message_reads_back_byte_identical_with_every_envelope_field()
    {
        var store = await OpenStoreAsync();
        var body = Body(300_000, 7);
        var message = new SpoolMessage(
            QueueId.New(),
            "bounces+x=y@example.org",
            [
                new SpoolRecipient("alice@example.com", "example.com", 17, "rfc822;Alice@Example.com", DsnNotify.Success | DsnNotify.Failure),
                new SpoolRecipient("bob@xn--bcher-kva.example", "xn--bcher-kva.example", 900, null, DsnNotify.Never),
                new SpoolRecipient("Ünïcode@example.com", "example.com", 17),
            ],
            body,
            T0,
            MessageBodyType.EightBitMime,
            SmtpUtf8: true,
            DsnReturn: DsnReturn.Headers,
            EnvelopeId: "QQ314159",
            ClientAddress: "2001:db8::25",
            AuthenticatedUser: "app-1");

        await store.EnqueueAsync(message);

        var stored = await store.GetMessageAsync(message.Id);
        Assert.NotNull(stored);
        Assert.Equal(message.Id, stored.Id);
        Assert.Equal(message.ReversePath, stored.ReversePath);
        Assert.Equal(body, await stored.Body.ReadAllBytesAsync());
        Assert.Equal(T0, stored.ReceivedAt);
        Assert.Equal(MessageBodyType.EightBitMime, stored.BodyType);
        Assert.True(stored.SmtpUtf8);
        Assert.Equal(DsnReturn.Headers, stored.DsnReturn);
        Assert.Equal("QQ314159", stored.EnvelopeId);
        Assert.Equal("2001:db8::25", stored.ClientAddress);
        Assert.Equal("app-1", stored.AuthenticatedUser);

        var recipients = await store.GetRecipientsAsync(message.Id);
        Assert.Equal(3, recipients.Count);
        Assert.Equal(recipients.Count, recipients.Select(r => r.RecipientId).Distinct().Count());
        for (var i = 0; i < 3; i++)
        {
            var expected = message.Recipients[i];
            var actual = recipients[i];
            Assert.Equal(message.Id, actual.MessageId);
            Assert.Equal(expected.Address, actual.Address);
            Assert.Equal(expected.Domain, actual.Domain);
            Assert.Equal(expected.Shard, actual.Shard);
            Assert.Equal(expected.OriginalRecipient, actual.OriginalRecipient);
            Assert.Equal(expected.Notify, actual.Notify);
            Assert.Equal(RecipientState.Pending, actual.State);
            Assert.Equal(0, actual.Attempts);
            Assert.Equal(T0, actual.NextAttemptAt);
            Assert.Equal(T0, actual.QueuedAt);
            Assert.Null(actual.LastReply);
            Assert.Equal(0, actual.LocalFailures);
        }
    }

    [Fact]
    public async Task Null_sender_defaults_and_a_sliced_body_round_trip()
    {
        var store = await OpenStoreAsync();
        var backing = Body(5000, 11);
        var slice = backing.AsMemory(1000, 2000);
        var message = new SpoolMessage(QueueId.New(), "", [Rcpt("postmaster@example.net")], (ReadOnlyMemory<byte>)slice, T0);

        await store.EnqueueAsync(message);

        var stored = await store.GetMessageAsync(message.Id);
        Assert.NotNull(stored);
        Assert.Equal("", stored.ReversePath);
        Assert.Equal(slice.ToArray(), await stored.Body.ReadAllBytesAsync());
        Assert.Equal(MessageBodyType.SevenBit, stored.BodyType);
        Assert.False(stored.SmtpUtf8);
        Assert.Equal(DsnReturn.NotGiven, stored.DsnReturn);
        Assert.Null(stored.EnvelopeId);
        Assert.Null(stored.ClientAddress);
        Assert.Null(stored.AuthenticatedUser);
        Assert.Equal(DsnNotify.NotGiven, (await store.GetRecipientsAsync(message.Id)).Single().Notify);
        Assert.Null(await store.GetMessageAsync(QueueId.New()));
        Assert.Empty(await store.GetRecipientsAsync(QueueId.New()));
    }

    [Fact]
    public async Task Due_recipients_of_a_shard_respect_time_state_shard_limit_and_order()
    {
        var store = await OpenStoreAsync();
        var m1 = Message(T0.AddSeconds(3), Rcpt("a@one.test", shard: 5), Rcpt("b@two.test", shard: 5));
        var m2 = Message(T0.AddSeconds(1), Rcpt("c@one.test", shard: 5), Rcpt("d@three.test", shard: 6));
        var m3 = Message(T0.AddSeconds(2), Rcpt("e@one.test", shard: 5));
        var m4 = Message(T0.AddSeconds(60), Rcpt("f@one.test", shard: 5));
        foreach (var m in new[] { m1, m2, m3, m4 })
            await store.EnqueueAsync(m);

        var all = await store.GetDueRecipientsAsync(5, T0.AddSeconds(10), 100);
        Assert.Equal(["c@one.test", "e@one.test", "a@one.test", "b@two.test"], all.Select(r => r.Address));
        Assert.All(all, r => Assert.Equal(5, r.Shard));
        // Same due time: the earlier-stored recipient first.
        Assert.True(all[2].RecipientId < all[3].RecipientId);

        Assert.Equal(["c@one.test", "e@one.test"], (await store.GetDueRecipientsAsync(5, T0.AddSeconds(10), 2)).Select(r => r.Address));
        Assert.Equal(["c@one.test"], (await store.GetDueRecipientsAsync(5, T0.AddSeconds(1), 100)).Select(r => r.Address));
        Assert.Empty(await store.GetDueRecipientsAsync(5, T0, 100));
        Assert.Equal(["d@three.test"], (await store.GetDueRecipientsAsync(6, T0.AddSeconds(10), 100)).Select(r => r.Address));
        Assert.Empty(await store.GetDueRecipientsAsync(7, T0.AddDays(1), 100));

        // Delivered, failed and rescheduled recipients drop out; a rescheduled one returns when due.
        var c = all[0];
        var e = all[1];
        var a = all[2];
        await store.RecordAttemptsAsync(
        [
            new RecipientAttempt(c.RecipientId, RecipientState.Delivered, T0, "250 ok"),
            new RecipientAttempt(e.RecipientId, RecipientState.Pending, T0.AddSeconds(30), "451 later"),
            new RecipientAttempt(a.RecipientId, RecipientState.Failed, T0, "550 no"),
        ]);
        Assert.Equal(["b@two.test"], (await store.GetDueRecipientsAsync(5, T0.AddSeconds(10), 100)).Select(r => r.Address));
        Assert.Equal(["b@two.test", "e@one.test"], (await store.GetDueRecipientsAsync(5, T0.AddSeconds(30), 100)).Select(r => r.Address));
        Assert.Equal(["b@two.test", "e@one.test", "f@one.test"], (await store.GetDueRecipientsAsync(5, T0.AddMinutes(5), 100)).Select(r => r.Address));
    }

    [Fact]
    public async Task Due_recipients_of_a_domain_respect_time_state_domain_limit_and_order()
    {
        var store = await OpenStoreAsync();
        var m1 = Message(T0.AddSeconds(2), Rcpt("a@one.test", 5), Rcpt("b@one.test", 5), Rcpt("x@two.test", 5));
        var m2 = Message(T0.AddSeconds(1), Rcpt("c@one.test", 5));
        var m3 = Message(T0.AddSeconds(50), Rcpt("d@one.test", 5));
        foreach (var m in new[] { m1, m2, m3 })
            await store.EnqueueAsync(m);

        var due = await store.GetDueRecipientsForDomainAsync("one.test", T0.AddSeconds(10), 100);
        Assert.Equal(["c@one.test", "a@one.test", "b@one.test"], due.Select(r => r.Address));
        Assert.All(due, r => Assert.Equal("one.test", r.Domain));
        Assert.Equal(["c@one.test", "a@one.test"], (await store.GetDueRecipientsForDomainAsync("one.test", T0.AddSeconds(10), 2)).Select(r => r.Address));
        Assert.Equal(["x@two.test"], (await store.GetDueRecipientsForDomainAsync("two.test", T0.AddSeconds(10), 100)).Select(r => r.Address));
        Assert.Empty(await store.GetDueRecipientsForDomainAsync("one.test", T0, 100));
        Assert.Empty(await store.GetDueRecipientsForDomainAsync("none.test", T0.AddDays(1), 100));

        await store.RecordAttemptsAsync([new RecipientAttempt(due[0].RecipientId, RecipientState.Expired, T0, "expired")]);
        Assert.Equal(["a@one.test", "b@one.test"], (await store.GetDueRecipientsForDomainAsync("one.test", T0.AddSeconds(10), 100)).Select(r => r.Address));
    }

    [Fact]
    public async Task Recorded_attempts_update_state_attempts_next_time_and_reply()
    {
        var store = await OpenStoreAsync();
        var message = Message(T0, Rcpt("a@one.test"), Rcpt("b@one.test"), Rcpt("c@one.test"));
        await store.EnqueueAsync(message);
        var rs = await store.GetRecipientsAsync(message.Id);

        await store.RecordAttemptsAsync(
        [
            new RecipientAttempt(rs[0].RecipientId, RecipientState.Pending, T0.AddMinutes(5), "421 4.7.0 try later"),
            new RecipientAttempt(rs[1].RecipientId, RecipientState.Delivered, T0, "250 2.0.0 ok"),
        ]);
        await store.RecordAttemptsAsync(
        [
            new RecipientAttempt(rs[0].RecipientId, RecipientState.Failed, T0.AddMinutes(5), "550 5.1.1 no such user"),
        ]);

        var after = await store.GetRecipientsAsync(message.Id);
        Assert.Equal(RecipientState.Failed, after[0].State);
        Assert.Equal(2, after[0].Attempts);
        Assert.Equal(T0.AddMinutes(5), after[0].NextAttemptAt);
        Assert.Equal("550 5.1.1 no such user", after[0].LastReply);
        Assert.Equal(RecipientState.Delivered, after[1].State);
        Assert.Equal(1, after[1].Attempts);
        Assert.Equal("250 2.0.0 ok", after[1].LastReply);
        Assert.Equal(RecipientState.Pending, after[2].State);
        Assert.Equal(0, after[2].Attempts);
        Assert.Null(after[2].LastReply);
        Assert.Equal(T0, after[0].QueuedAt);

        // An empty list and an unknown recipient (deleted meanwhile) are not errors.
        await store.RecordAttemptsAsync([]);
        await store.RecordAttemptsAsync([new RecipientAttempt(long.MaxValue, RecipientState.Delivered, T0, "250")]);
    }

    [Fact]
    public async Task The_count_of_local_failures_in_a_row_is_what_each_attempt_sets_and_survives_a_reopen()
    {
        var store = await OpenStoreAsync();
        var message = Message(T0, Rcpt("a@one.test"), Rcpt("b@one.test"));
        await store.EnqueueAsync(message);
        var rs = await store.GetRecipientsAsync(message.Id);
        Assert.All(rs, r => Assert.Equal(0, r.LocalFailures));

        // Two local failures for a, while b gets a receiver's reply whose text looks like ours: only
        // the count given with the attempt is stored, whatever the reply says.
        await store.RecordAttemptsAsync(
        [
            new RecipientAttempt(rs[0].RecipientId, RecipientState.Pending, T0.AddSeconds(1), "451 4.3.0 local error", LocalFailures: 1),
            new RecipientAttempt(rs[1].RecipientId, RecipientState.Pending, T0.AddSeconds(1), "451 4.3.0 local error delivering the message (2 of 3 in a row)"),
        ]);
        await store.RecordAttemptsAsync([new RecipientAttempt(rs[0].RecipientId, RecipientState.Pending, T0.AddSeconds(2), "451 4.3.0 local error", LocalFailures: 2)]);
        var after = await store.GetRecipientsAsync(message.Id);
        Assert.Equal([2, 0], after.Select(r => r.LocalFailures));
        Assert.Equal([2, 1], after.Select(r => r.Attempts));
        Assert.Equal(2, (await store.GetDueRecipientsForDomainAsync("one.test", T0.AddMinutes(1), 10)).Single(r => r.Address == "a@one.test").LocalFailures);
        Assert.Equal(2, (await store.GetDueRecipientsAsync(1, T0.AddMinutes(1), 10)).Single(r => r.Address == "a@one.test").LocalFailures);

        await CloseStoreAsync(store);
        var reopened = await OpenStoreAsync();
        Assert.Equal([2, 0], (await reopened.GetRecipientsAsync(message.Id)).Select(r => r.LocalFailures));

        // An attempt that reached the receiver starts the count again.
        await reopened.RecordAttemptsAsync([new RecipientAttempt(rs[0].RecipientId, RecipientState.Pending, T0.AddSeconds(3), "452 4.2.2 mailbox full")]);
        Assert.Equal(0, (await reopened.GetRecipientsAsync(message.Id))[0].LocalFailures);
    }

    [Fact]
    public async Task Next_attempt_time_is_the_earliest_pending_one_of_the_domain()
    {
        var store = await OpenStoreAsync();
        Assert.Null(await store.GetNextAttemptTimeAsync("one.test"));
        var m1 = Message(T0.AddSeconds(5), Rcpt("a@one.test"));
        var m2 = Message(T0.AddSeconds(9), Rcpt("b@one.test"), Rcpt("z@two.test"));
        await store.EnqueueAsync(m1);
        await store.EnqueueAsync(m2);
        Assert.Equal(T0.AddSeconds(5), await store.GetNextAttemptTimeAsync("one.test"));
        Assert.Equal(T0.AddSeconds(9), await store.GetNextAttemptTimeAsync("two.test"));

        var a = (await store.GetRecipientsAsync(m1.Id)).Single();
        await store.RecordAttemptsAsync([new RecipientAttempt(a.RecipientId, RecipientState.Pending, T0.AddHours(1), "451")]);
        Assert.Equal(T0.AddSeconds(9), await store.GetNextAttemptTimeAsync("one.test"));

        var b = (await store.GetRecipientsAsync(m2.Id)).Single(r => r.Domain == "one.test");
        await store.RecordAttemptsAsync([new RecipientAttempt(b.RecipientId, RecipientState.Delivered, T0, "250")]);
        Assert.Equal(T0.AddHours(1), await store.GetNextAttemptTimeAsync("one.test"));

        await store.RecordAttemptsAsync([new RecipientAttempt(a.RecipientId, RecipientState.Failed, T0, "550")]);
        Assert.Null(await store.GetNextAttemptTimeAsync("one.test"));
    }

    [Fact]
    public async Task Pending_domains_come_with_shard_and_earliest_time_and_skip_domains_without_pending_mail()
    {
        var store = await OpenStoreAsync();
        await store.EnqueueAsync(Message(T0.AddSeconds(4), Rcpt("a@one.test", 3), Rcpt("b@one.test", 3), Rcpt("c@two.test", 3)));
        await store.EnqueueAsync(Message(T0.AddSeconds(2), Rcpt("d@one.test", 3), Rcpt("e@elsewhere.test", 4)));
        var done = Message(T0, Rcpt("f@three.test", 3));
        await store.EnqueueAsync(done);
        var f = (await store.GetRecipientsAsync(done.Id)).Single();
        await store.RecordAttemptsAsync([new RecipientAttempt(f.RecipientId, RecipientState.Delivered, T0, "250")]);

        var page = await store.GetPendingDomainsAsync(null, 100);
        Assert.Equal(
            [new DomainWork("elsewhere.test", 4, T0.AddSeconds(2)), new DomainWork("one.test", 3, T0.AddSeconds(2)), new DomainWork("two.test", 3, T0.AddSeconds(4))],
            page.Domains);
        Assert.Null(page.Next);
    }

    [Fact]
    public async Task Pending_domains_are_walked_page_by_page_in_name_order_and_every_one_is_seen_once()
    {
        var store = await OpenStoreAsync();
        var expected = new SortedSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 57; i++)
        {
            var domain = $"d{i:x3}.test";
            // Every third domain has all its mail finished: the walk passes it without reporting it.
            var message = Message(T0.AddSeconds(i), Rcpt($"u@{domain}", i % 7), Rcpt($"v@{domain}", i % 7));
            await store.EnqueueAsync(message);
            if (i % 3 == 0)
            {
                var attempts = (await store.GetRecipientsAsync(message.Id)).Select(r => new RecipientAttempt(r.RecipientId, RecipientState.Failed, T0, "550")).ToList();
                await store.RecordAttemptsAsync(attempts);
            }
            else expected.Add(domain);
        }

        var seen = new List<DomainWork>();
        string? after = null;
        var pages = 0;
        do
        {
            var page = await store.GetPendingDomainsAsync(after, 10);
            seen.AddRange(page.Domains);
            Assert.True(page.Next is null || string.CompareOrdinal(page.Next, after ?? "") > 0, "the walk moves forward");
            after = page.Next;
            pages++;
        } while (after is not null);

        Assert.Equal(expected, seen.Select(d => d.Domain));
        Assert.InRange(pages, 6, 7);
        Assert.All(seen, d => Assert.Equal(int.Parse(d.Domain[1..4], System.Globalization.NumberStyles.HexNumber) % 7, d.Shard));
        Assert.Empty((await store.GetPendingDomainsAsync("zzz", 10)).Domains);
    }

    [Fact]
    public async Task The_shard_count_is_stored_on_first_use_and_the_stored_one_is_returned_after()
    {
        var store = await OpenStoreAsync();
        Assert.Equal(1024, await store.GetOrStoreShardCountAsync(1024));
        Assert.Equal(1024, await store.GetOrStoreShardCountAsync(64));
        await CloseStoreAsync(store);

        var reopened = await OpenStoreAsync();
        Assert.Equal(1024, await reopened.GetOrStoreShardCountAsync(512));
    }

    [Fact]
    public async Task The_placement_fingerprint_is_absent_until_stored_then_replaced_and_kept_across_a_reopen()
    {
        var store = await OpenStoreAsync();
        Assert.Null(await store.GetPlacementAsync());
        await store.StorePlacementAsync("sha256:one");
        await store.StorePlacementAsync("sha256:two");
        Assert.Equal("sha256:two", await store.GetPlacementAsync());
        await CloseStoreAsync(store);

        var reopened = await OpenStoreAsync();
        Assert.Equal("sha256:two", await reopened.GetPlacementAsync());
    }

    [Fact]
    public async Task Refiling_a_domain_moves_its_pending_recipients_to_the_new_shard_and_leaves_final_ones_and_other_domains()
    {
        var store = await OpenStoreAsync();
        await store.EnqueueAsync(Message(T0, Rcpt("a@moved.test", shard: 3), Rcpt("b@moved.test", shard: 3), Rcpt("c@stays.test", shard: 3)));
        await store.EnqueueAsync(Message(T0, Rcpt("d@moved.test", shard: 3)));
        var due = await store.GetDueRecipientsAsync(3, T0.AddSeconds(1), 100);
        Assert.Equal(4, due.Count);
        var delivered = due.Single(r => r.Address == "b@moved.test");
        await store.RecordAttemptsAsync([new RecipientAttempt(delivered.RecipientId, RecipientState.Delivered, T0, "250 ok")]);

        Assert.Equal(2, await store.RefileDomainAsync("moved.test", 9));

        Assert.Equal(["a@moved.test", "d@moved.test"], (await store.GetDueRecipientsAsync(9, T0.AddSeconds(1), 100)).Select(r => r.Address).Order());
        Assert.All(await store.GetDueRecipientsForDomainAsync("moved.test", T0.AddSeconds(1), 100), r => Assert.Equal(9, r.Shard));
        Assert.Equal(["c@stays.test"], (await store.GetDueRecipientsAsync(3, T0.AddSeconds(1), 100)).Select(r => r.Address));
        var work = (await store.GetPendingDomainsAsync(null, 10)).Domains.ToDictionary(d => d.Domain, d => d.Shard);
        Assert.Equal(9, work["moved.test"]);
        Assert.Equal(3, work["stays.test"]);
        // Final rows keep the shard they were filed under; a second re-file to the same shard moves nothing.
        Assert.Equal(3, (await store.GetRecipientsAsync(delivered.MessageId)).Single(r => r.Address == "b@moved.test").Shard);
        Assert.Equal(0, await store.RefileDomainAsync("moved.test", 9));
        Assert.Equal(0, await store.RefileDomainAsync("unknown.test", 9));
    }

    [Fact]
    public async Task A_suspension_is_stored_replaced_and_lifted_and_survives_a_reopen()
    {
        var store = await OpenStoreAsync();
        Assert.Null(await store.GetDomainSuspensionAsync("one.test"));
        await store.SuspendDomainAsync(new DomainSuspension("one.test", T0));
        await store.SuspendDomainAsync(new DomainSuspension("two.test", T0, T0.AddHours(1), "receiver asked us to stop"));
        await store.SuspendDomainAsync(new DomainSuspension("one.test", T0.AddMinutes(1), null, "abuse complaint"));
        await CloseStoreAsync(store);

        var reopened = await OpenStoreAsync();
        Assert.Equal(new DomainSuspension("one.test", T0.AddMinutes(1), null, "abuse complaint"), await reopened.GetDomainSuspensionAsync("one.test"));
        var two = await reopened.GetDomainSuspensionAsync("two.test");
        Assert.Equal(new DomainSuspension("two.test", T0, T0.AddHours(1), "receiver asked us to stop"), two);
        Assert.True(two!.IsInForce(T0.AddMinutes(59)));
        Assert.False(two.IsInForce(T0.AddHours(1)));

        await reopened.ResumeDomainAsync("one.test");
        await reopened.ResumeDomainAsync("never-suspended.test");
        Assert.Null(await reopened.GetDomainSuspensionAsync("one.test"));
        Assert.NotNull(await reopened.GetDomainSuspensionAsync("two.test"));
    }

    [Fact]
    public async Task Deleting_a_message_removes_its_body_and_recipients()
    {
        var store = await OpenStoreAsync();
        var gone = Message(T0, Rcpt("a@one.test"), Rcpt("b@two.test"));
        var kept = Message(T0, Rcpt("c@one.test"));
        await store.EnqueueAsync(gone);
        await store.EnqueueAsync(kept);

        await store.DeleteMessageAsync(gone.Id);

        Assert.Null(await store.GetMessageAsync(gone.Id));
        Assert.Empty(await store.GetRecipientsAsync(gone.Id));
        Assert.Equal(["c@one.test"], (await store.GetDueRecipientsAsync(1, T0.AddDays(1), 100)).Select(r => r.Address));
        Assert.Null(await store.GetNextAttemptTimeAsync("two.test"));
        Assert.NotNull(await store.GetMessageAsync(kept.Id));
        Assert.Equal(new QueueStatistics(1, 1, 0, 0, 0), await store.GetStatisticsAsync());

        await store.DeleteMessageAsync(gone.Id);
        await store.DeleteMessageAsync(QueueId.New());
    }

    [Fact]
    public async Task Statistics_count_messages_and_recipients_by_state()
    {
        var store = await OpenStoreAsync();
        Assert.Equal(new QueueStatistics(0, 0, 0, 0, 0), await store.GetStatisticsAsync());
        var m = Message(T0, Rcpt("a@x.test"), Rcpt("b@x.test"), Rcpt("c@x.test"), Rcpt("d@x.test"), Rcpt("e@x.test"));
        await store.EnqueueAsync(m);
        await store.EnqueueAsync(Message(T0, Rcpt("f@x.test")));
        var rs = await store.GetRecipientsAsync(m.Id);
        await store.RecordAttemptsAsync(
        [
            new RecipientAttempt(rs[0].RecipientId, RecipientState.Delivered, T0, "250"),
            new RecipientAttempt(rs[1].RecipientId, RecipientState.Delivered, T0, "250"),
            new RecipientAttempt(rs[2].RecipientId, RecipientState.Failed, T0, "550"),
            new RecipientAttempt(rs[3].RecipientId, RecipientState.Expired, T0, "expired"),
        ]);
        Assert.Equal(new QueueStatistics(2, 2, 2, 1, 1), await store.GetStatisticsAsync());
    }

    [Fact]
    public async Task Concurrent_enqueues_are_all_durable_and_share_transactions()
    {
        const int producers = 50;
        const int perProducer = 40;
        var store = await OpenStoreAsync();
        var metrics = Assert.IsAssignableFrom<IGroupCommitMetrics>(store);
        var before = metrics.GetGroupCommitStatistics();
        var sent = new ConcurrentBag<SpoolMessage>();

        await Task.WhenAll(Enumerable.Range(0, producers).Select(p => Task.Run(async () =>
        {
            for (var i = 0; i < perProducer; i++)
            {
                var m = Message(T0.AddMilliseconds(p * perProducer + i), Rcpt($"u{p}-{i}@d{p % 7}.test", shard: p % 4));
                await store.EnqueueAsync(m);
                sent.Add(m);
            }
        })));

        var after = metrics.GetGroupCommitStatistics();
        var batches = after.CommittedBatches - before.CommittedBatches;
        Assert.Equal(producers * perProducer, after.CommittedMessages - before.CommittedMessages);
        Assert.InRange(batches, 1, producers * perProducer / 5);
        Assert.True(after.LargestBatch > 1);

        Assert.Equal(new QueueStatistics(producers * perProducer, producers * perProducer, 0, 0, 0), await store.GetStatisticsAsync());
        foreach (var m in sent.Where((_, i) => i % 97 == 0))
        {
            var stored = await store.GetMessageAsync(m.Id);
            Assert.NotNull(stored);
            await AssertSameContentAsync(m.Content, stored);
            Assert.Equal(m.Recipients[0].Address, (await store.GetRecipientsAsync(m.Id)).Single().Address);
        }

        var reopened = await OpenStoreAsync();
        Assert.Equal(producers * perProducer, (await reopened.GetStatisticsAsync()).Messages);
    }

    [Fact]
    public async Task A_new_instance_on_the_same_storage_sees_everything()
    {
        var first = await OpenStoreAsync();
        var m1 = Message(T0, Rcpt("a@one.test", 2), Rcpt("b@two.test", 2));
        var m2 = Message(T0.AddSeconds(1), Rcpt("c@one.test", 2));
        await first.EnqueueAsync(m1);
        await first.EnqueueAsync(m2);
        var rs = await first.GetRecipientsAsync(m1.Id);
        await first.RecordAttemptsAsync([new RecipientAttempt(rs[1].RecipientId, RecipientState.Pending, T0.AddMinutes(10), "451 greylisted")]);
        await CloseStoreAsync(first);

        var second = await OpenStoreAsync();
        await AssertSameContentAsync(m1.Content, await second.GetMessageAsync(m1.Id));
        await AssertSameContentAsync(m2.Content, await second.GetMessageAsync(m2.Id));
        var again = await second.GetRecipientsAsync(m1.Id);
        Assert.Equal(rs.Select(r => r.RecipientId), again.Select(r => r.RecipientId));
        Assert.Equal("451 greylisted", again[1].LastReply);
        Assert.Equal(1, again[1].Attempts);
        Assert.Equal(["a@one.test", "c@one.test"], (await second.GetDueRecipientsAsync(2, T0.AddMinutes(1), 10)).Select(r => r.Address));

        // Writes keep working after the reopen, and ids are not reused.
        var m3 = Message(T0.AddSeconds(2), Rcpt("d@one.test", 2));
        await second.EnqueueAsync(m3);
        Assert.True((await second.GetRecipientsAsync(m3.Id)).Single().RecipientId > again.Max(r => r.RecipientId));
        Assert.Equal(new QueueStatistics(3, 4, 0, 0, 0), await second.GetStatisticsAsync());
    }

    [Fact]
    public async Task Initialize_is_idempotent()
    {
        var store = await OpenStoreAsync();
        await store.InitializeAsync();
        await store.EnqueueAsync(Message(T0, Rcpt("a@one.test")));
        await store.InitializeAsync();
        Assert.Equal(1, (await store.GetStatisticsAsync()).Messages);
    }

    [Fact]
    public async Task A_duplicate_id_fails_its_caller_only_and_stores_nothing_of_it()
    {
        var store = await OpenStoreAsync();
        var original = Message(T0, Rcpt("first@one.test"));
        await store.EnqueueAsync(original);

        var duplicate = original with { Recipients = [Rcpt("second@one.test"), Rcpt("third@two.test")], Content = Body(100, 1) };
        var others = Enumerable.Range(0, 30).Select(i => Message(T0.AddSeconds(1), Rcpt($"o{i}@one.test"))).ToList();
        var tasks = others.Take(15).Select(m => store.EnqueueAsync(m))
            .Append(store.EnqueueAsync(duplicate))
            .Concat(others.Skip(15).Select(m => store.EnqueueAsync(m)))
            .ToList();
        await Task.WhenAll(tasks).ContinueWith(_ => { }, TaskScheduler.Default);

        Assert.True(tasks[15].IsFaulted);
        Assert.IsNotAssignableFrom<OperationCanceledException>(tasks[15].Exception!.InnerException);
        Assert.All(tasks.Where((_, i) => i != 15), t => Assert.True(t.IsCompletedSuccessfully));

        Assert.Equal(["first@one.test"], (await store.GetRecipientsAsync(original.Id)).Select(r => r.Address));
        await AssertSameContentAsync(original.Content, await store.GetMessageAsync(original.Id));
        Assert.Null(await store.GetNextAttemptTimeAsync("two.test"));
        Assert.Equal(new QueueStatistics(31, 31, 0, 0, 0), await store.GetStatisticsAsync());
    }

    [Fact]
    public async Task A_message_whose_recipient_cannot_be_stored_leaves_nothing_behind()
    {
        var store = await OpenStoreAsync();
        var bad = Message(T0, Rcpt("ok@one.test"), new SpoolRecipient(null!, "one.test", 1));
        await Assert.ThrowsAnyAsync<Exception>(() => store.EnqueueAsync(bad));
        Assert.Null(await store.GetMessageAsync(bad.Id));
        Assert.Empty(await store.GetRecipientsAsync(bad.Id));
        Assert.Equal(new QueueStatistics(0, 0, 0, 0, 0), await store.GetStatisticsAsync());

        // The store keeps working.
        await store.EnqueueAsync(Message(T0, Rcpt("next@one.test")));
        Assert.Equal(1, (await store.GetStatisticsAsync()).Messages);
    }

    [Fact]
    public async Task A_message_without_recipients_is_refused()
    {
        var store = await OpenStoreAsync();
        await Assert.ThrowsAsync<ArgumentException>(() => store.EnqueueAsync(Message(T0)));
        Assert.Equal(0, (await store.GetStatisticsAsync()).Messages);
    }

    [Fact]
    public async Task An_enqueue_cancelled_before_it_is_written_is_not_stored()
    {
        var store = await OpenStoreAsync();
        var m = Message(T0, Rcpt("a@one.test"));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.EnqueueAsync(m, new CancellationToken(canceled: true)));
        Assert.Null(await store.GetMessageAsync(m.Id));
    }

    [Fact]
    public async Task Writes_after_dispose_are_refused()
    {
        var store = await OpenStoreAsync();
        await CloseStoreAsync(store);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.EnqueueAsync(Message(T0, Rcpt("a@one.test"))));
        await store.DisposeAsync();
    }

    [Fact]
    public async Task Reads_see_a_body_without_any_text_conversion()
    {
        var store = await OpenStoreAsync();
        var text = "Subject: caf\u00e9\r\n\r\n.\r\n..dot\r\n"u8.ToArray();
        var m = Message(T0, Rcpt("a@one.test")) with { Content = text, SmtpUtf8 = true, BodyType = MessageBodyType.BinaryMime };
        await store.EnqueueAsync(m);
        var stored = await store.GetMessageAsync(m.Id);
        var bytes = await stored!.Body.ReadAllBytesAsync();
        Assert.Equal(Encoding.UTF8.GetString(text), Encoding.UTF8.GetString(bytes!));
        Assert.Equal(text, bytes);
        Assert.Equal(MessageBodyType.BinaryMime, stored.BodyType);
    }
}
