using MtaCluster.Delivery.Accounting;
using MtaCluster.Mail;
using MtaCluster.Storage;

namespace MtaCluster.Delivery.Tests;

public sealed class ReceptionRecorderTests
{
    private sealed class Captured : IAccountingSink
    {
        public List<AccountingRecord> Records { get; } = [];

        public void Record(AccountingRecord record) => Records.Add(record);
    }

    private static readonly DateTimeOffset At = new(2026, 12, 2, 10, 0, 0, TimeSpan.Zero);

    private static SpoolMessage Message() => new("06H3EN809G0SSA6HPXTJQVVR", "app@example.com",
        [new SpoolRecipient("a@one.test", "one.test", 3), new SpoolRecipient("b@two.test", "two.test", 5)],
        new MessageContent("Subject: x\r\n\r\nbody\r\n"u8.ToArray()), At,
        ClientAddress: "192.0.2.10", AuthenticatedUser: "shop", Tenant: "shop", Lane: DeliveryLane.Transactional, Campaign: "winter-26");

    [Fact]
    public void A_received_record_per_recipient_goes_to_the_log_that_keeps_them_and_to_a_listener()
    {
        var feed = new AccountingEventFeed();
        using var listener = feed.Subscribe();
        var log = new Captured();
        new ReceptionRecorder(feed, log).Record(Message());

        Assert.Equal(["a@one.test", "b@two.test"], log.Records.Select(r => r.Recipient));
        var first = log.Records[0];
        Assert.Equal((AccountingRecordType.Received, At, "06H3EN809G0SSA6HPXTJQVVR", "app@example.com", "one.test"),
            (first.Type, first.Time, first.MessageId, first.Sender, first.Domain));
        Assert.Equal(("shop", AccountingRecord.TransactionalLane, "winter-26", "192.0.2.10", "shop"),
            (first.Tenant, first.Lane, first.Campaign, first.ClientIp, first.AuthUser));
        Assert.True(listener.Reader.TryRead(out var streamed));
        Assert.Equal("a@one.test", streamed!.Recipient);
    }

    [Fact]
    public void With_no_log_keeping_them_and_nobody_listening_nothing_is_recorded()
    {
        var feed = new AccountingEventFeed();
        new ReceptionRecorder(feed).Record(Message());
        using var late = feed.Subscribe();
        Assert.False(late.Reader.TryRead(out _));

        // A listener alone gets them.
        new ReceptionRecorder(feed).Record(Message());
        Assert.True(late.Reader.TryRead(out var streamed));
        Assert.Equal(AccountingRecordType.Received, streamed!.Type);
    }

    [Fact]
    public void The_client_fields_are_written_only_on_received_lines()
    {
        var delivered = new AccountingRecord { Type = AccountingRecordType.Delivered, Time = At, MessageId = "m", Recipient = "a@one.test", Domain = "one.test" };
        var json = System.Text.Json.JsonSerializer.Serialize(delivered, AccountingJsonContext.Default.AccountingRecord);
        Assert.DoesNotContain("client_ip", json);
        Assert.DoesNotContain("auth_user", json);
        var received = delivered with { Type = AccountingRecordType.Received, ClientIp = "192.0.2.10" };
        var line = System.Text.Json.JsonSerializer.Serialize(received, AccountingJsonContext.Default.AccountingRecord);
        Assert.Contains("\"type\":\"received\"", line);
        Assert.Contains("\"client_ip\":\"192.0.2.10\"", line);
    }
}
