using System.Net;
using MtaCluster.Delivery.Accounting;
using MtaCluster.Delivery.Domains;
using MtaCluster.Storage;
using MtaCluster.Testing;

namespace MtaCluster.Delivery.Tests.EndToEnd;

/// <summary>
/// Receivers that misbehave on cue (a scripted peer on loopback, reached by a static route), and
/// what the domain entity makes of each fault.
/// </summary>
public sealed class FaultyPeerTests
{
    private const string Domain = "peer.test";
    private const string Recipient = "user@peer.test";

    private static string Policy(ScriptedPeer peer, string extra = "") =>
        $"default:\n{DeliveryHarness.FastRetry}\ndomains:\n  {Domain}:\n    route: 127.0.0.1:{peer.EndPoint.Port}\n{extra}";

    private static Task<DeliveryHarness> StartAsync(ScriptedPeer peer, string extra = "") =>
        DeliveryHarness.StartAsync(Policy(peer, extra), peer.EndPoint.Port);

    [Fact]
    public async Task A_421_greeting_defers()
    {
        await using var peer = new ScriptedPeer(new SmtpDialogue { Greeting = "421 4.3.2 Service not available, try later\r\n" });
        await using var mta = await StartAsync(peer);
        var id = await mta.SubmitAsync("sender@example.com", [Recipient]);
        var record = (await mta.Accounting.WaitForAsync(r => r.MessageId == id))[0];
        Assert.Equal(AccountingRecordType.Deferred, record.Type);
        Assert.Equal(421, record.Reply!.Code);
        var recipient = Assert.Single(await mta.RecipientsAsync(id));
        Assert.Equal(RecipientState.Pending, recipient.State);
        // What happens next is in the record: the retry schedule's next attempt (1s, no jitter, here)
        // and the end of the policy's max age (1h).
        Assert.Equal(record.Time + TimeSpan.FromSeconds(1), record.NextAttemptAt);
        Assert.Equal(recipient.QueuedAt + TimeSpan.FromHours(1), record.GiveUpAt);
    }

    [Fact]
    public async Task A_receiver_refusing_every_connection_is_not_hammered_and_every_queued_recipient_is_deferred()
    {
        await using var peer = new ScriptedPeer(new SmtpDialogue { Greeting = "421 4.7.0 Too many connections, try again later\r\n" });
        await using var mta = await StartAsync(peer);
        // Queued while suspended, so that resuming fetches them together and opens several connections at once.
        mta.Engine.Domains.Tell(new SuspendDomain(Domain));
        var ids = new List<string>();
        for (var i = 0; i < 6; i++) ids.Add(await mta.SubmitAsync("sender@example.com", [$"q{i}@peer.test"]));
        mta.Engine.Domains.Tell(new ResumeDomain(Domain));

        var records = await mta.Accounting.WaitForAsync(r => ids.Contains(r.MessageId), count: 6);
        Assert.All(records, r => Assert.Equal(AccountingRecordType.Deferred, r.Type));
        await Task.Delay(TimeSpan.FromSeconds(2));
        // At most one round of the policy's connections: the refusal is a backoff signal, not a cue to reconnect.
        Assert.InRange(peer.Connections.Count, 1, 10);
        Assert.True((await mta.StatusAsync(Domain)).InBackoff);
    }

    [Fact]
    public async Task A_452_to_the_first_RCPT_defers_instead_of_resending_at_once()
    {
        var refuse = new SmtpDialogue { OnCommand = line => line.StartsWith("RCPT", StringComparison.Ordinal) ? "452 4.5.3 Too many recipients today\r\n" : null };
        await using var peer = new ScriptedPeer(refuse);
        await using var mta = await StartAsync(peer);
        var id = await mta.SubmitAsync("sender@example.com", [Recipient]);
        var record = (await mta.Accounting.WaitForAsync(r => r.MessageId == id))[0];
        Assert.Equal(AccountingRecordType.Deferred, record.Type);
        Assert.Equal(1, record.Attempt);
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.InRange(peer.Connections.Count, 1, 2);
    }

    [Fact]
    public async Task A_transaction_longer_than_the_idle_passivation_completes_once()
    {
        var slow = new SmtpDialogue { AfterData = async connection => { await Task.Delay(TimeSpan.FromSeconds(3)); await connection.SendAsync("250 2.0.0 Ok\r\n"); } };
        await using var peer = new ScriptedPeer(slow);
        await using var mta = await DeliveryHarness.StartAsync(Policy(peer), peer.EndPoint.Port,
            configure: o => o.Client.DataTerminationTimeout = TimeSpan.FromSeconds(10), passivateIdleEntityAfter: TimeSpan.FromMilliseconds(500));
        var id = await mta.SubmitAsync("sender@example.com", [Recipient]);
        var record = (await mta.Accounting.WaitForAsync(r => r.MessageId == id))[0];
        Assert.Equal(AccountingRecordType.Delivered, record.Type);
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Single(slow.Messages);
        Assert.Single(mta.Accounting.Records, r => r.MessageId == id);
    }

    [Fact]
    public async Task A_451_to_RCPT_defers_and_the_retry_delivers_on_the_second_attempt()
    {
        var refuse = new SmtpDialogue { OnCommand = line => line.StartsWith("RCPT", StringComparison.Ordinal) ? "451 4.3.0 Temporary lookup failure\r\n" : null };
        var accept = new SmtpDialogue();
        await using var peer = new ScriptedPeer((connection, index) => (index == 0 ? refuse : accept).RunAsync(connection));
        await using var mta = await StartAsync(peer);

        var id = await mta.SubmitAsync("sender@example.com", [Recipient]);

        var records = await mta.Accounting.WaitForAsync(r => r.MessageId == id, count: 2);
        Assert.Equal(AccountingRecordType.Deferred, records[0].Type);
        Assert.Equal("4.3.0", records[0].Reply!.Enhanced);
        Assert.Equal(1, records[0].Attempt);
        Assert.Equal(AccountingRecordType.Delivered, records[1].Type);
        Assert.Equal(2, records[1].Attempt);
        var recipient = Assert.Single(await mta.RecipientsAsync(id));
        Assert.Equal(RecipientState.Delivered, recipient.State);
        Assert.Equal(2, recipient.Attempts);
    }

    [Fact]
    public async Task A_550_for_one_of_several_recipients_bounces_that_one_and_delivers_the_rest()
    {
        var dialogue = new SmtpDialogue { OnCommand = line => line.Contains("<nobody@", StringComparison.Ordinal) ? "550 5.1.1 <nobody@peer.test>: Recipient address rejected: User unknown\r\n" : null };
        await using var peer = new ScriptedPeer(dialogue);
        await using var mta = await StartAsync(peer);

        var id = await mta.SubmitAsync("sender@example.com", ["a@peer.test", "nobody@peer.test", "b@peer.test"]);

        var records = await mta.Accounting.WaitForAsync(r => r.MessageId == id, count: 3);
        var bounced = Assert.Single(records, r => r.Type == AccountingRecordType.Bounced);
        Assert.Equal("nobody@peer.test", bounced.Recipient);
        Assert.Equal("bad-mailbox", bounced.Category);
        Assert.Equal(2, records.Count(r => r.Type == AccountingRecordType.Delivered));
        Assert.Single(dialogue.Messages);
    }

    [Fact]
    public async Task Past_452_too_many_recipients_the_rest_go_in_a_later_transaction_without_counting_an_attempt()
    {
        var inTransaction = 0;
        var dialogue = new SmtpDialogue
        {
            OnCommand = line =>
            {
                if (line.StartsWith("MAIL", StringComparison.Ordinal)) inTransaction = 0;
                if (!line.StartsWith("RCPT", StringComparison.Ordinal)) return null;
                return ++inTransaction > 2 ? "452 4.5.3 Too many recipients\r\n" : null;
            },
        };
        await using var peer = new ScriptedPeer(dialogue);
        await using var mta = await StartAsync(peer);

        var recipients = Enumerable.Range(1, 5).Select(i => $"r{i}@peer.test").ToArray();
        var id = await mta.SubmitAsync("sender@example.com", recipients);

        var records = await mta.Accounting.WaitForAsync(r => r.MessageId == id, count: 5);
        Assert.All(records, r => Assert.Equal(AccountingRecordType.Delivered, r.Type));
        Assert.All(records, r => Assert.Equal(1, r.Attempt));
        Assert.Equal(3, dialogue.Messages.Count);
    }

    [Fact]
    public async Task A_connection_dropped_mid_DATA_is_retried_and_reported_once()
    {
        var drop = new SmtpDialogue
        {
            OnData = async connection =>
            {
                await connection.ReadSomeAsync(10);
                connection.Abort();
                return false;
            },
        };
        var accept = new SmtpDialogue();
        await using var peer = new ScriptedPeer((connection, index) => (index == 0 ? drop : accept).RunAsync(connection));
        await using var mta = await StartAsync(peer);

        var id = await mta.SubmitAsync("sender@example.com", [Recipient]);

        var records = await mta.Accounting.WaitForAsync(r => r.MessageId == id && r.Type == AccountingRecordType.Delivered);
        var all = mta.Accounting.Records.Where(r => r.MessageId == id).ToArray();
        Assert.Single(all, r => r.Type == AccountingRecordType.Deferred);
        Assert.Equal(2, records[0].Attempt);
        Assert.Single(accept.Messages);
    }

    [Fact]
    public async Task A_reply_slower_than_the_timeout_defers()
    {
        var slow = new SmtpDialogue { AfterData = async connection => { await Task.Delay(TimeSpan.FromSeconds(4)); await connection.SendAsync("250 2.0.0 too late\r\n"); } };
        await using var peer = new ScriptedPeer(slow);
        await using var mta = await StartAsync(peer);
        var id = await mta.SubmitAsync("sender@example.com", [Recipient]);
        var record = (await mta.Accounting.WaitForAsync(r => r.MessageId == id))[0];
        Assert.Equal(AccountingRecordType.Deferred, record.Type);
        Assert.Equal("4.4.2", record.Reply!.Enhanced);
    }

    [Fact]
    public async Task Opportunistic_TLS_whose_handshake_fails_is_retried_in_clear_and_delivered()
    {
        var clear = new SmtpDialogue { Keywords = ["PIPELINING", "STARTTLS", "ENHANCEDSTATUSCODES"] };
        await using var peer = new ScriptedPeer((connection, index) => index == 0 ? SmtpDialogue.BrokenStartTlsAsync(connection) : clear.RunAsync(connection));
        await using var mta = await StartAsync(peer, "    tls: opportunistic\n");
        var id = await mta.SubmitAsync("sender@example.com", [Recipient]);
        var record = (await mta.Accounting.WaitForAsync(r => r.MessageId == id))[0];
        Assert.Equal(AccountingRecordType.Delivered, record.Type);
        Assert.Equal(1, record.Attempt);
        Assert.Null(record.TlsProtocol);
    }

    [Fact]
    public async Task Required_TLS_whose_handshake_fails_defers()
    {
        await using var peer = new ScriptedPeer((connection, _) => SmtpDialogue.BrokenStartTlsAsync(connection));
        await using var mta = await StartAsync(peer, "    tls: required\n");
        var id = await mta.SubmitAsync("sender@example.com", [Recipient]);
        var record = (await mta.Accounting.WaitForAsync(r => r.MessageId == id))[0];
        Assert.Equal(AccountingRecordType.Deferred, record.Type);
        Assert.Equal("4.7.5", record.Reply!.Enhanced);
    }

    [Fact]
    public async Task A_recipient_past_its_maximum_age_expires_with_4_4_7()
    {
        var refuse = new SmtpDialogue { OnCommand = line => line.StartsWith("RCPT", StringComparison.Ordinal) ? "451 4.2.0 Mailbox busy\r\n" : null };
        await using var peer = new ScriptedPeer(refuse);
        var domains = $"default:\n  retry: {{ intervals: [1s], then-every: 1s, jitter: 0, max-age: 2s }}\ndomains:\n  {Domain}:\n    route: 127.0.0.1:{peer.EndPoint.Port}\n";
        await using var mta = await DeliveryHarness.StartAsync(domains, peer.EndPoint.Port);
        var id = await mta.SubmitAsync("sender@example.com", [Recipient]);
        var expired = (await mta.Accounting.WaitForAsync(r => r.MessageId == id && r.Type == AccountingRecordType.Expired))[0];
        Assert.Equal("4.4.7", expired.Reply!.Enhanced);
        Assert.Equal("message-expired", expired.Category);
        Assert.Equal(RecipientState.Expired, Assert.Single(await mta.RecipientsAsync(id)).State);
    }

    [Fact]
    public async Task A_throttling_reply_puts_the_domain_in_backoff()
    {
        var throttled = new SmtpDialogue { OnCommand = line => line.StartsWith("MAIL", StringComparison.Ordinal) ? "421 4.7.0 Try again later, closing connection\r\n" : null };
        await using var peer = new ScriptedPeer(throttled);
        await using var mta = await StartAsync(peer);
        var id = await mta.SubmitAsync("sender@example.com", [Recipient]);
        await mta.Accounting.WaitForAsync(r => r.MessageId == id);
        var status = await mta.StatusAsync(Domain);
        Assert.True(status.InBackoff);
        Assert.Equal(1, status.MaxConnections);
    }

    [Fact]
    public async Task A_suspended_domain_sends_nothing_until_resumed()
    {
        var dialogue = new SmtpDialogue();
        await using var peer = new ScriptedPeer(dialogue);
        await using var mta = await StartAsync(peer);
        mta.Engine.Domains.Tell(new SuspendDomain(Domain));
        var id = await mta.SubmitAsync("sender@example.com", [Recipient]);

        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Empty(peer.Connections);
        Assert.True((await mta.StatusAsync(Domain)).Suspended);

        mta.Engine.Domains.Tell(new ResumeDomain(Domain));
        var record = (await mta.Accounting.WaitForAsync(r => r.MessageId == id))[0];
        Assert.Equal(AccountingRecordType.Delivered, record.Type);
    }

    [Fact]
    public async Task Connections_leave_from_the_egress_pool_address()
    {
        var dialogue = new SmtpDialogue();
        await using var peer = new ScriptedPeer(dialogue);
        var extra = "    egress-pool: pool-b\npools:\n  pool-b: [127.0.0.2]\n";
        await using var mta = await StartAsync(peer, extra);
        var id = await mta.SubmitAsync("sender@example.com", [Recipient]);
        var record = (await mta.Accounting.WaitForAsync(r => r.MessageId == id))[0];
        Assert.Equal(AccountingRecordType.Delivered, record.Type);
        Assert.Equal("127.0.0.2", record.SourceIp);
        Assert.Equal(IPAddress.Parse("127.0.0.2"), Assert.Single(peer.Connections).RemoteEndPoint.Address);
    }

    [Fact]
    public async Task Many_messages_share_connections_up_to_the_per_connection_limit()
    {
        var dialogue = new SmtpDialogue();
        await using var peer = new ScriptedPeer(dialogue);
        await using var mta = await StartAsync(peer, "    max-connections: 1\n    max-messages-per-connection: 4\n");
        var ids = new List<string>();
        for (var i = 0; i < 8; i++) ids.Add(await mta.SubmitAsync("sender@example.com", [$"u{i}@peer.test"]));
        await mta.Accounting.WaitForAsync(r => ids.Contains(r.MessageId) && r.Type == AccountingRecordType.Delivered, count: 8);
        Assert.Equal(8, dialogue.Messages.Count);
        Assert.InRange(peer.Connections.Count, 2, 3);
    }
}
