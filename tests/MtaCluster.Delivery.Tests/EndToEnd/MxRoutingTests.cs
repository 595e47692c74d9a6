using MtaCluster.Delivery.Accounting;
using MtaCluster.Storage;
using MtaCluster.Testing;

namespace MtaCluster.Delivery.Tests.EndToEnd;

/// <summary>dnsmasq answering for the destination domains, shared by the tests of this class.</summary>
public sealed class MailDnsFixture : IAsyncLifetime
{
    public DnsmasqServer Dns { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Dns = await DnsmasqServer.StartAsync(
            "--mx-host=ok.test,mx.ok.test,10", "--host-record=mx.ok.test,127.0.0.1",
            // The preferred MX has nothing listening; the backup is the receiver.
            "--mx-host=failover.test,mx1.failover.test,10", "--host-record=mx1.failover.test,127.0.0.2",
            "--mx-host=failover.test,mx2.failover.test,20", "--host-record=mx2.failover.test,127.0.0.1",
            "--mx-host=down.test,mx1.down.test,10", "--host-record=mx1.down.test,127.0.0.2",
            "--mx-host=down.test,mx2.down.test,20", "--host-record=mx2.down.test,127.0.0.3",
            "--host-record=implicit.test,127.0.0.1",
            // The preferred MX answers 554 at the greeting (a blocklist on one address); the backup takes mail.
            "--mx-host=blocked.test,mx1.blocked.test,10", "--host-record=mx1.blocked.test,127.0.0.2",
            "--mx-host=blocked.test,mx2.blocked.test,20", "--host-record=mx2.blocked.test,127.0.0.1",
            "--mx-host=nullmx.test,.,0",
            // Two domains hosted by one provider.
            "--mx-host=rollup-a.test,mx.rollup.test,10", "--mx-host=rollup-b.test,mx.rollup.test,10", "--host-record=mx.rollup.test,127.0.0.1",
            "--local=/test/");
    }

    public async Task DisposeAsync() => await Dns.DisposeAsync();
}

/// <summary>Routing by MX through a real resolver to a real receiver (Postfix's smtp-sink).</summary>
public sealed class MxRoutingTests(MailDnsFixture dns) : IClassFixture<MailDnsFixture>
{
    private const string Domains = "default:\n" + DeliveryHarness.FastRetry;

    [Fact]
    public async Task Mail_is_delivered_to_the_MX_and_recorded_delivered_with_host_and_address()
    {
        await using var sink = await SmtpSink.StartAsync(dump: true);
        await using var mta = await DeliveryHarness.StartAsync(Domains, sink.EndPoint.Port, dns.Dns.EndPoint);

        var id = await mta.SubmitAsync("sender@example.com", ["alice@ok.test", "bob@ok.test"]);

        var records = await mta.Accounting.WaitForAsync(r => r.MessageId == id, count: 2);
        Assert.All(records, r =>
        {
            Assert.Equal(AccountingRecordType.Delivered, r.Type);
            Assert.Equal("mx.ok.test", r.MxHost);
            Assert.Equal("127.0.0.1", r.MxIp);
            Assert.Equal(1, r.Attempt);
            Assert.Equal(250, r.Reply!.Code);
        });
        Assert.All(await mta.RecipientsAsync(id), r => Assert.Equal(RecipientState.Delivered, r.State));
        var dumps = await sink.WaitForDumpsAsync(1);
        // Both recipients travelled in one transaction; dot transparency kept the body intact.
        Assert.Single(dumps);
        Assert.Contains($"Hello from {id}.", dumps[0]);
        Assert.Contains("\n.leading dot line", dumps[0]);
    }

    [Fact]
    public async Task Domains_under_one_MX_pattern_share_its_connection_limit()
    {
        var open = 0;
        var maxOpen = 0;
        var dialogue = new SmtpDialogue
        {
            AfterData = async connection =>
            {
                await Task.Delay(200);
                await connection.SendAsync("250 2.0.0 Ok\r\n");
            },
        };
        await using var peer = new ScriptedPeer(async (connection, _) =>
        {
            var now = Interlocked.Increment(ref open);
            lock (dialogue) maxOpen = Math.Max(maxOpen, now);
            try { await dialogue.RunAsync(connection); }
            finally { Interlocked.Decrement(ref open); }
        });
        var domains = "default:\n" + DeliveryHarness.FastRetry + "\n  max-connections: 10\n" +
                      "mx-patterns:\n  - name: rollup\n    match: [\"mx.rollup.test\"]\n    max-connections: 1\n";
        await using var mta = await DeliveryHarness.StartAsync(domains, peer.EndPoint.Port, dns.Dns.EndPoint);

        var ids = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            ids.Add(await mta.SubmitAsync("sender@example.com", [$"a{i}@rollup-a.test"]));
            ids.Add(await mta.SubmitAsync("sender@example.com", [$"b{i}@rollup-b.test"]));
        }
        var records = await mta.Accounting.WaitForAsync(r => ids.Contains(r.MessageId), count: 8);
        Assert.All(records, r => Assert.Equal(AccountingRecordType.Delivered, r.Type));
        Assert.Equal(1, maxOpen);
        Assert.Equal("mx:rollup", (await mta.StatusAsync("rollup-a.test")).ThrottleKey);
    }

    [Fact]
    public async Task A_domain_without_MX_gets_its_own_address_as_implicit_MX()
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var mta = await DeliveryHarness.StartAsync(Domains, sink.EndPoint.Port, dns.Dns.EndPoint);
        var id = await mta.SubmitAsync("sender@example.com", ["carol@implicit.test"]);
        var record = (await mta.Accounting.WaitForAsync(r => r.MessageId == id))[0];
        Assert.Equal(AccountingRecordType.Delivered, record.Type);
    }

    [Fact]
    public async Task When_the_first_MX_is_down_the_next_one_takes_the_mail()
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var mta = await DeliveryHarness.StartAsync(Domains, sink.EndPoint.Port, dns.Dns.EndPoint);
        var id = await mta.SubmitAsync("sender@example.com", ["dave@failover.test"]);
        var record = (await mta.Accounting.WaitForAsync(r => r.MessageId == id))[0];
        Assert.Equal(AccountingRecordType.Delivered, record.Type);
        Assert.Equal("mx2.failover.test", record.MxHost);
    }

    [Fact]
    public async Task A_554_greeting_from_the_first_MX_moves_on_to_the_next_instead_of_bouncing()
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var blocked = new ScriptedPeer(new SmtpDialogue { Greeting = "554 5.7.1 Service unavailable; client host blocked\r\n" },
            new System.Net.IPEndPoint(System.Net.IPAddress.Parse("127.0.0.2"), sink.EndPoint.Port));
        await using var mta = await DeliveryHarness.StartAsync(Domains, sink.EndPoint.Port, dns.Dns.EndPoint);
        var id = await mta.SubmitAsync("sender@example.com", ["kim@blocked.test"]);
        var record = (await mta.Accounting.WaitForAsync(r => r.MessageId == id))[0];
        Assert.Equal(AccountingRecordType.Delivered, record.Type);
        Assert.Equal("mx2.blocked.test", record.MxHost);
        Assert.Single(blocked.Connections);
    }

    [Fact]
    public async Task When_every_MX_is_down_the_recipient_is_deferred_after_trying_each()
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var mta = await DeliveryHarness.StartAsync(Domains, sink.EndPoint.Port, dns.Dns.EndPoint);
        var id = await mta.SubmitAsync("sender@example.com", ["erin@down.test"]);
        var record = (await mta.Accounting.WaitForAsync(r => r.MessageId == id))[0];
        Assert.Equal(AccountingRecordType.Deferred, record.Type);
        Assert.Equal("no-answer-from-host", record.Category);
        var recipient = Assert.Single(await mta.RecipientsAsync(id));
        Assert.Equal(RecipientState.Pending, recipient.State);
        Assert.True(recipient.NextAttemptAt > DateTimeOffset.UtcNow - TimeSpan.FromSeconds(1), "a retry is scheduled");
        Assert.Contains("4.4.1", recipient.LastReply);
    }

    [Fact]
    public async Task A_null_MX_bounces_with_5_1_10()
    {
        await using var mta = await DeliveryHarness.StartAsync(Domains, 25, dns.Dns.EndPoint);
        var id = await mta.SubmitAsync("sender@example.com", ["frank@nullmx.test"]);
        var record = (await mta.Accounting.WaitForAsync(r => r.MessageId == id))[0];
        Assert.Equal(AccountingRecordType.Bounced, record.Type);
        Assert.Equal("5.1.10", record.Reply!.Enhanced);
        Assert.Equal("bad-domain", record.Category);
        var recipient = Assert.Single(await mta.RecipientsAsync(id));
        Assert.Equal(RecipientState.Failed, recipient.State);
        // A routing failure never loads the message, yet its record names the envelope sender and the give-up time.
        Assert.Equal("sender@example.com", record.Sender);
        Assert.Equal(1, record.Attempt);
        Assert.Equal(recipient.QueuedAt + TimeSpan.FromHours(1), record.GiveUpAt);
    }

    [Fact]
    public async Task Deferral_and_bounce_lines_carry_queue_id_sender_attempt_next_attempt_and_give_up()
    {
        var (factory, logs) = CapturingLoggerProvider.CreateFactory();
        await using var mta = await DeliveryHarness.StartAsync(Domains, 25, dns.Dns.EndPoint, loggerFactory: factory);
        var deferred = await mta.SubmitAsync("sender@example.com", ["heidi@unresolvable.example"]);
        var bounced = await mta.SubmitAsync("", ["frank@nullmx.test"]);

        var record = (await mta.Accounting.WaitForAsync(r => r.MessageId == deferred))[0];
        var line = (await logs.WaitForAsync(l => l.Message.Contains("queue_id=" + deferred)))[0];
        Assert.Equal(
            $"deferred queue_id={deferred} sender=<sender@example.com> rcpt=<heidi@unresolvable.example> attempt=1 " +
            $"next_attempt={record.NextAttemptAt!.Value.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'} give_up={record.GiveUpAt!.Value.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'} " +
            $"reply=\"{record.Reply!.Code} {record.Reply.Enhanced} {record.Reply.Text}\"", line.Message);

        var bounce = (await mta.Accounting.WaitForAsync(r => r.MessageId == bounced))[0];
        var bounceLine = (await logs.WaitForAsync(l => l.Message.Contains("queue_id=" + bounced)))[0].Message;
        Assert.StartsWith($"bounced queue_id={bounced} sender=<> rcpt=<frank@nullmx.test> attempt=1 next_attempt=none " +
            $"give_up={bounce.GiveUpAt!.Value.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'} reply=\"5", bounceLine);
    }

    [Fact]
    public async Task A_quoted_local_part_cannot_forge_fields_of_its_deferral_line()
    {
        var (factory, logs) = CapturingLoggerProvider.CreateFactory();
        await using var mta = await DeliveryHarness.StartAsync(Domains, 25, dns.Dns.EndPoint, loggerFactory: factory);
        var id = await mta.SubmitAsync("sender@example.com", ["\"x> attempt=99 <\"@unresolvable.example"]);

        var line = (await logs.WaitForAsync(l => l.Message.Contains("queue_id=" + id)))[0].Message;
        Assert.Contains(@" rcpt=<\x22x\x3E\x20attempt=99\x20\x3C\x22@unresolvable.example> attempt=1 ", line);
        Assert.DoesNotContain("attempt=99 ", line);
    }

    [Fact]
    public async Task A_domain_that_does_not_exist_bounces()
    {
        await using var mta = await DeliveryHarness.StartAsync(Domains, 25, dns.Dns.EndPoint);
        var id = await mta.SubmitAsync("sender@example.com", ["grace@no-such-domain.test"]);
        var record = (await mta.Accounting.WaitForAsync(r => r.MessageId == id))[0];
        Assert.Equal(AccountingRecordType.Bounced, record.Type);
        Assert.Equal("bad-domain", record.Category);
        Assert.StartsWith("5.", record.Reply!.Enhanced);
        Assert.Equal("sender@example.com", record.Sender);
    }

    [Fact]
    public async Task A_resolver_failure_defers_rather_than_bounces()
    {
        // dnsmasq has no upstream: a name outside its own zones is answered REFUSED, a server failure.
        await using var mta = await DeliveryHarness.StartAsync(Domains, 25, dns.Dns.EndPoint);
        var id = await mta.SubmitAsync("sender@example.com", ["heidi@unresolvable.example"]);
        var records = await mta.Accounting.WaitForAsync(r => r.MessageId == id, count: 2);
        Assert.All(records, r => Assert.Equal(AccountingRecordType.Deferred, r.Type));
        Assert.Equal("4.4.3", records[0].Reply!.Enhanced);
        Assert.All(records, r => Assert.Equal("sender@example.com", r.Sender));
        Assert.All(records, r => Assert.Equal(r.Time + TimeSpan.FromSeconds(1), r.NextAttemptAt));
        // The domain woke again on its retry schedule with no new mail to prompt it.
        Assert.Equal(2, records[1].Attempt);
        Assert.Equal(RecipientState.Pending, Assert.Single(await mta.RecipientsAsync(id)).State);
    }

    [Fact]
    public async Task A_static_route_sends_to_the_smarthost_without_asking_DNS()
    {
        await using var sink = await SmtpSink.StartAsync();
        var domains = $"default:\n{DeliveryHarness.FastRetry}\ndomains:\n  routed.example:\n    route: 127.0.0.1:{sink.EndPoint.Port}\n";
        // No DNS server at all: only the route can make this work.
        await using var mta = await DeliveryHarness.StartAsync(domains, 25);
        var id = await mta.SubmitAsync("sender@example.com", ["ivan@routed.example"]);
        var record = (await mta.Accounting.WaitForAsync(r => r.MessageId == id))[0];
        Assert.Equal(AccountingRecordType.Delivered, record.Type);
    }

    [Fact]
    public async Task The_accounting_log_gets_one_json_line_per_outcome()
    {
        var dir = Directory.CreateTempSubdirectory("mta-acct-").FullName;
        try
        {
            await using var sink = await SmtpSink.StartAsync();
            var log = new AccountingLog(new AccountingLogOptions { Directory = dir });
            string id;
            await using (var mta = await DeliveryHarness.StartAsync(Domains, sink.EndPoint.Port, dns.Dns.EndPoint, extraSink: log))
            {
                id = await mta.SubmitAsync("sender@example.com", ["judy@ok.test"]);
                await mta.Accounting.WaitForAsync(r => r.MessageId == id);
            }
            await log.DisposeAsync();
            var line = Assert.Single(Directory.GetFiles(dir).SelectMany(File.ReadAllLines));
            using var json = System.Text.Json.JsonDocument.Parse(line);
            Assert.Equal("delivered", json.RootElement.GetProperty("type").GetString());
            Assert.Equal(id, json.RootElement.GetProperty("message_id").GetString());
            Assert.Equal("judy@ok.test", json.RootElement.GetProperty("recipient").GetString());
            Assert.Equal("mx.ok.test", json.RootElement.GetProperty("mx_host").GetString());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
