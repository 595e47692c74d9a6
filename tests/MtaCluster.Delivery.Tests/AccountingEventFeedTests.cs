using MtaCluster.Delivery.Accounting;

namespace MtaCluster.Delivery.Tests;

public sealed class AccountingEventFeedTests
{
    private static AccountingRecord Record(int i, AccountingRecordType type = AccountingRecordType.Deferred, string domain = "x.test") => new()
    {
        Type = type,
        Time = DateTimeOffset.UnixEpoch.AddSeconds(i),
        MessageId = $"M{i}",
        Recipient = $"r{i}@{domain}",
        Domain = domain,
    };

    [Fact]
    public void A_slow_subscriber_loses_what_does_not_fit_is_told_how_many_and_the_others_get_everything()
    {
        var feed = new AccountingEventFeed();
        using var slow = feed.Subscribe(capacity: 4);
        using var keeping = feed.Subscribe(capacity: 100);
        for (var i = 0; i < 10; i++) feed.Record(Record(i));

        var got = new List<string>();
        while (slow.Reader.TryRead(out var r)) got.Add(r.MessageId);
        Assert.Equal(["M0", "M1", "M2", "M3"], got);
        Assert.Equal(6, slow.TakeDropped());
        Assert.Equal(0, slow.TakeDropped());
        // Room again: the next record arrives, and nothing more counts as lost.
        feed.Record(Record(10));
        Assert.True(slow.Reader.TryRead(out var next));
        Assert.Equal("M10", next.MessageId);
        Assert.Equal(0, slow.TakeDropped());

        Assert.Equal(11, keeping.Reader.Count);
        Assert.Equal(0, keeping.TakeDropped());
    }

    [Fact]
    public void A_subscriber_gets_only_what_its_filter_accepts()
    {
        var feed = new AccountingEventFeed();
        using var bounces = feed.Subscribe(r => r.Type == AccountingRecordType.Bounced && r.Domain == "y.test");
        feed.Record(Record(1, AccountingRecordType.Bounced, "x.test"));
        feed.Record(Record(2, AccountingRecordType.Bounced, "y.test"));
        feed.Record(Record(3, AccountingRecordType.Delivered, "y.test"));
        Assert.True(bounces.Reader.TryRead(out var only));
        Assert.Equal("M2", only.MessageId);
        Assert.False(bounces.Reader.TryRead(out _));
        Assert.Equal(0, bounces.TakeDropped());
    }

    [Fact]
    public void Without_subscribers_a_record_costs_no_allocation_and_a_disposed_subscription_gets_nothing_and_ends()
    {
        var feed = new AccountingEventFeed();
        var record = Record(1);
        var subscription = feed.Subscribe(_ => throw new InvalidOperationException("a filter of a subscription that is gone was asked"));
        subscription.Dispose();
        Assert.Equal(0, feed.SubscriberCount);
        Assert.True(subscription.Reader.Completion.IsCompleted);

        feed.Record(record);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++) feed.Record(record);
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }
}
