using MtaCluster.Delivery.Lifecycle;
using MtaCluster.Mail;
using MtaCluster.Storage;

namespace MtaCluster.Delivery.Tests;

public sealed class NotificationRulesTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_767_225_600_000);

    private static QueuedRecipient Recipient(RecipientState state, DsnNotify notify = DsnNotify.NotGiven, DateTimeOffset? toldAt = null) =>
        new(1, "M1", "a@x.test", "x.test", 0, null, notify, state, 3, T0, T0, "451 4.2.0 later", 0, toldAt);

    [Theory]
    [InlineData(DsnNotify.NotGiven, true, true)]
    [InlineData(DsnNotify.Never, false, false)]
    [InlineData(DsnNotify.Success, false, false)]
    [InlineData(DsnNotify.Failure, true, false)]
    [InlineData(DsnNotify.Delay, false, true)]
    [InlineData(DsnNotify.Failure | DsnNotify.Delay, true, true)]
    public void Notify_decides_failure_and_delay_reports(DsnNotify notify, bool failure, bool delay)
    {
        Assert.Equal(failure, NotificationRules.WantsFailure(notify));
        Assert.Equal(delay, NotificationRules.WantsDelay(notify));
    }

    [Theory]
    [InlineData(DsnNotify.NotGiven, false)]
    [InlineData(DsnNotify.Never, false)]
    [InlineData(DsnNotify.Success, true)]
    [InlineData(DsnNotify.Failure | DsnNotify.Delay, false)]
    [InlineData(DsnNotify.Success | DsnNotify.Failure, true)]
    public void Success_is_reported_only_when_notify_names_it(DsnNotify notify, bool success) =>
        Assert.Equal(success, NotificationRules.WantsSuccess(notify));

    [Fact]
    public void The_null_sender_is_never_notified() => Assert.False(NotificationRules.MayNotify(""));

    [Fact]
    public void Only_failed_expired_and_relayed_recipients_that_want_it_are_reported()
    {
        QueuedRecipient[] recipients =
        [
            Recipient(RecipientState.Delivered),
            Recipient(RecipientState.Failed),
            Recipient(RecipientState.Expired),
            Recipient(RecipientState.Failed, DsnNotify.Never),
            Recipient(RecipientState.Pending),
            Recipient(RecipientState.Relayed, DsnNotify.Success),
            Recipient(RecipientState.Delivered, DsnNotify.Success),
            Recipient(RecipientState.Failed, DsnNotify.Success),
        ];
        Assert.Equal([recipients[1], recipients[2], recipients[5]], NotificationRules.FinalToReport(recipients));
    }

    [Fact]
    public void A_delay_notice_is_due_once_per_interval_after_the_first_interval()
    {
        var after = TimeSpan.FromHours(4);
        Assert.False(NotificationRules.DueDelayNotice(Recipient(RecipientState.Pending), T0 + after - TimeSpan.FromSeconds(1), after));
        Assert.True(NotificationRules.DueDelayNotice(Recipient(RecipientState.Pending), T0 + after, after));
        Assert.False(NotificationRules.DueDelayNotice(Recipient(RecipientState.Pending, toldAt: T0 + after), T0 + after + TimeSpan.FromHours(3), after));
        Assert.True(NotificationRules.DueDelayNotice(Recipient(RecipientState.Pending, toldAt: T0 + after), T0 + after * 2, after));
        Assert.False(NotificationRules.DueDelayNotice(Recipient(RecipientState.Pending, DsnNotify.Failure), T0 + after, after));
        Assert.False(NotificationRules.DueDelayNotice(Recipient(RecipientState.Failed), T0 + after, after));
    }
}
