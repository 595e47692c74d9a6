using MtaCluster.Smtp.Spool;
using MtaCluster.Smtp.Tests.TestSupport;

namespace MtaCluster.Smtp.Tests.Server;

/// <summary>Storage low: MAIL gets 452 4.3.1 before the client sends any content, and works again when space is back.</summary>
public class SpoolCapacityTests
{
    private sealed class FakeCapacity : ISpoolCapacity
    {
        public volatile bool Room = true;
        public int Reads;

        public bool HasRoomForNewMail
        {
            get
            {
                Interlocked.Increment(ref Reads);
                return Room;
            }
        }
    }

    [Fact]
    public async Task Mail_is_452_4_3_1_while_storage_is_low_and_250_once_it_is_back()
    {
        var capacity = new FakeCapacity { Room = false };
        await using var h = SessionHarness.Start(capacity: capacity);
        await h.GreetAsync();

        Assert.Equal("452 4.3.1 Insufficient system storage", await h.Client.CommandAsync("MAIL FROM:<a@example.com>"));
        Assert.StartsWith("503 5.5.1", await h.Client.CommandAsync("RCPT TO:<b@example.net>"));
        Assert.StartsWith("503 5.5.1", await h.Client.CommandAsync("DATA"));
        Assert.Equal("452 4.3.1 Insufficient system storage", await h.Client.CommandAsync("MAIL FROM:<a@example.com>"));
        Assert.Empty(h.Spool.Accepted);

        capacity.Room = true;
        Assert.StartsWith("250 2.1.0", await h.Client.CommandAsync("MAIL FROM:<a@example.com>"));
        Assert.StartsWith("250 2.1.5", await h.Client.CommandAsync("RCPT TO:<b@example.net>"));
        Assert.StartsWith("354", await h.Client.CommandAsync("DATA"));
        await h.Client.SendAsync("Subject: t\r\n\r\nhi\r\n.\r\n");
        Assert.StartsWith("250 2.0.0 Ok: queued as", await h.Client.ReadReplyAsync());
        Assert.Single(h.Spool.Accepted);
        Assert.Equal(3, capacity.Reads);
    }

    [Fact]
    public async Task Storage_going_low_mid_transaction_does_not_refuse_the_message_already_started()
    {
        var capacity = new FakeCapacity();
        await using var h = SessionHarness.Start(capacity: capacity);
        await h.OpenTransactionAsync();
        capacity.Room = false;
        Assert.StartsWith("354", await h.Client.CommandAsync("DATA"));
        await h.Client.SendAsync("Subject: t\r\n\r\nhi\r\n.\r\n");
        // The spool commit decides for a transaction already under way (451 there if the disk is really full).
        Assert.StartsWith("250 2.0.0 Ok: queued as", await h.Client.ReadReplyAsync());
        Assert.Equal("452 4.3.1 Insufficient system storage", await h.Client.CommandAsync("MAIL FROM:<a@example.com>"));
    }

    [Fact]
    public async Task Pipelined_transaction_refused_at_mail_gets_503_for_the_rest_and_no_content_is_taken()
    {
        var capacity = new FakeCapacity { Room = false };
        await using var h = SessionHarness.Start(capacity: capacity);
        await h.GreetAsync();
        // RFC 2920: the client sends MAIL, RCPT and DATA together and sends content only after a 354.
        await h.Client.SendAsync("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n");
        Assert.Equal("452 4.3.1 Insufficient system storage", await h.Client.ReadReplyAsync());
        Assert.StartsWith("503", await h.Client.ReadReplyAsync());
        Assert.StartsWith("503", await h.Client.ReadReplyAsync());
        Assert.Equal("250 2.0.0 Ok", await h.Client.CommandAsync("NOOP"));
        Assert.Empty(h.Spool.Accepted);
    }
}
