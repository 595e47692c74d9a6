using MtaCluster.Delivery.Accounting;
using MtaCluster.Storage;
using MtaCluster.Testing;

namespace MtaCluster.Delivery.Tests.EndToEnd;

/// <summary>A message that fails on our side every time (its body cannot be read) runs out of tries, and holds nobody else up.</summary>
public sealed class PoisonMessageTests
{
    private const string Domain = "poison.test";

    [Fact]
    public async Task A_message_that_cannot_be_read_fails_after_three_attempts_while_the_rest_of_its_domain_is_delivered()
    {
        await using var sink = await SmtpSink.StartAsync(dump: true);
        string? poisoned = null;
        var policy = $"default:\n{DeliveryHarness.FastRetry}\ndomains:\n  {Domain}:\n    route: 127.0.0.1:{sink.EndPoint.Port}\n    tls: none\n    max-connections: 1\n";
        await using var mta = await DeliveryHarness.StartAsync(policy, sink.EndPoint.Port, wrapStore: store =>
        {
            var (wrapped, faults) = FaultInjectingStore.Wrap(store);
            faults.Fault = (method, args) => method == nameof(IQueueStore.LoadMessageAsync) && (string?)args[0] == Volatile.Read(ref poisoned)
                ? new InvalidDataException("the message body is unreadable")
                : null;
            return wrapped;
        });
        mta.Engine.Domains.Tell(new Domains.SuspendDomain(Domain));
        // Queued first, so that it goes out first, on the domain's only connection.
        var poison = await mta.SubmitAsync("sender@example.com", [$"victim@{Domain}"], "Subject: poison\r\n\r\nnever sent\r\n");
        Volatile.Write(ref poisoned, poison);
        const int Good = 20;
        var good = new List<string>();
        for (var i = 0; i < Good; i++) good.Add(await mta.SubmitAsync("sender@example.com", [$"u{i}@{Domain}"]));
        mta.Engine.Domains.Tell(new Domains.ResumeDomain(Domain));

        var attempts = await mta.Accounting.WaitForAsync(r => r.MessageId == poison, count: 3);
        Assert.Equal([AccountingRecordType.Deferred, AccountingRecordType.Deferred, AccountingRecordType.Bounced], attempts.Select(r => r.Type));
        Assert.Equal([1, 2, 3], attempts.Select(r => r.Attempt));
        Assert.All(attempts.Take(2), r => Assert.Equal((451, "4.3.0"), (r.Reply!.Code, r.Reply.Enhanced)));
        Assert.Equal((554, "5.3.0"), (attempts[2].Reply!.Code, attempts[2].Reply!.Enhanced));
        Assert.Contains("the message body is unreadable", attempts[2].Reply!.Text);
        Assert.Equal(RecipientState.Failed, Assert.Single(await mta.RecipientsAsync(poison)).State);

        // The others did not wait for the poisoned one to run out of tries: all were delivered before its last attempt.
        var records = mta.Accounting.Records.ToList();
        var lastPoison = records.FindIndex(r => r.MessageId == poison && r.Type == AccountingRecordType.Bounced);
        var delivered = records.Take(lastPoison).Where(r => r.Type == AccountingRecordType.Delivered).Select(r => r.MessageId).ToHashSet();
        Assert.Equal(good.Order(), delivered.Order());
        var dumps = await sink.WaitForDumpsAsync(Good);
        Assert.Equal(Good, dumps.Length);
        Assert.DoesNotContain(dumps, d => d.Contains("never sent", StringComparison.Ordinal));
        Assert.False((await mta.StatusAsync(Domain)).InBackoff);
    }

    [Fact]
    public async Task A_spool_that_cannot_be_read_for_a_while_costs_no_attempt_and_fails_nothing()
    {
        await using var sink = await SmtpSink.StartAsync(dump: true);
        var failures = 5;
        var policy = $"default:\n{DeliveryHarness.FastRetry}\ndomains:\n  {Domain}:\n    route: 127.0.0.1:{sink.EndPoint.Port}\n    tls: none\n    max-connections: 1\n";
        await using var mta = await DeliveryHarness.StartAsync(policy, sink.EndPoint.Port,
            configure: o => o.StoreFailureHoldOff = TimeSpan.FromMilliseconds(200),
            wrapStore: store =>
            {
                var (wrapped, faults) = FaultInjectingStore.Wrap(store);
                // The database, not the message, fails: more times in a row than a poisoned message is allowed.
                faults.Fault = (method, _) => method == nameof(IQueueStore.LoadMessageAsync) && Interlocked.Decrement(ref failures) >= 0
                    ? new Microsoft.Data.Sqlite.SqliteException("unable to open database file", 14)
                    : null;
                return wrapped;
            });

        var id = await mta.SubmitAsync("sender@example.com", [$"someone@{Domain}"]);

        var record = Assert.Single(await mta.Accounting.WaitForAsync(r => r.MessageId == id));
        Assert.Equal(AccountingRecordType.Delivered, record.Type);
        Assert.Equal(1, record.Attempt);
        Assert.True(Volatile.Read(ref failures) < 0, "every injected failure was met before the delivery");
        Assert.Equal(RecipientState.Delivered, Assert.Single(await mta.RecipientsAsync(id)).State);
        Assert.Single(await sink.WaitForDumpsAsync(1));
    }

    [Fact]
    public async Task A_receiver_reply_that_reads_like_ours_does_not_count_toward_the_local_failures_in_a_row()
    {
        // The receiver's first answer is word for word our own second local failure. Were the count
        // read back from the last reply, the first real local failure would be taken as the third
        // in a row and fail the recipient at once.
        const string Lookalike = "451 4.3.0 local error delivering the message (2 of 3 in a row)";
        var answered = 0;
        var dialogue = new SmtpDialogue
        {
            OnCommand = line => line.StartsWith("RCPT", StringComparison.OrdinalIgnoreCase) && Interlocked.Increment(ref answered) == 1
                ? Lookalike + "\r\n"
                : null,
        };
        await using var peer = new ScriptedPeer(dialogue);
        string? poisoned = null;
        var policy = $"default:\n{DeliveryHarness.FastRetry}\ndomains:\n  {Domain}:\n    route: 127.0.0.1:{peer.EndPoint.Port}\n    tls: none\n    max-connections: 1\n";
        await using var mta = await DeliveryHarness.StartAsync(policy, peer.EndPoint.Port, wrapStore: store =>
        {
            var (wrapped, faults) = FaultInjectingStore.Wrap(store);
            // Unreadable from the attempt after the receiver's answer on: no race with the test.
            faults.Fault = (method, args) => method == nameof(IQueueStore.LoadMessageAsync) && (string?)args[0] == Volatile.Read(ref poisoned)
                    && Volatile.Read(ref answered) > 0
                ? new InvalidDataException("the message body is unreadable")
                : null;
            return wrapped;
        });
        mta.Engine.Domains.Tell(new Domains.SuspendDomain(Domain));
        var id = await mta.SubmitAsync("sender@example.com", [$"victim@{Domain}"]);
        Volatile.Write(ref poisoned, id);
        mta.Engine.Domains.Tell(new Domains.ResumeDomain(Domain));

        // Until the recipient's final record (or the fourth attempt, where a wrong count would go on deferring).
        await mta.Accounting.WaitForAsync(r => r.MessageId == id && (r.Type != AccountingRecordType.Deferred || r.Attempt >= 4));
        var attempts = mta.Accounting.Records.Where(r => r.MessageId == id).ToList();
        Assert.Equal([AccountingRecordType.Deferred, AccountingRecordType.Deferred, AccountingRecordType.Deferred, AccountingRecordType.Bounced],
            attempts.Select(r => r.Type));
        Assert.Equal([1, 2, 3, 4], attempts.Select(r => r.Attempt));
        Assert.Equal("local error delivering the message (2 of 3 in a row)", attempts[0].Reply!.Text);
        Assert.Equal([(451, "4.3.0"), (451, "4.3.0"), (554, "5.3.0")], attempts.Skip(1).Select(r => (r.Reply!.Code, r.Reply.Enhanced)));
        Assert.StartsWith("local error delivering the message (1 of 3 in a row)", attempts[1].Reply!.Text);
        Assert.StartsWith("local error delivering the message (2 of 3 in a row)", attempts[2].Reply!.Text);
        var stored = Assert.Single(await mta.RecipientsAsync(id));
        Assert.Equal((RecipientState.Failed, 3, 4), (stored.State, stored.LocalFailures, stored.Attempts));
    }
}
