using System.Text;
using MtaCluster.Delivery.Lifecycle;
using MtaCluster.Mail;
using MtaCluster.Storage;
using MtaCluster.Testing;

namespace MtaCluster.Delivery.Tests.EndToEnd;

/// <summary>
/// A message's life after its attempts: the message entity queues at most one failure DSN, removes
/// the message, sends delay notices, and leaves the null sender alone. DSNs go back through delivery to
/// the sender's own receiver (a second scripted peer), so what is asserted is what a sender would get.
/// </summary>
public sealed class MessageLifecycleTests
{
    private const string Sender = "app@home.test";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>
    /// peer.test refuses bad* with 550 and defers slow* with 451 (in words that are no "slow down"
    /// signal, so retries keep their one-second pace); home.test is the senders' receiver.
    /// </summary>
    private static SmtpDialogue Receiver() => new()
    {
        OnCommand = line =>
            line.StartsWith("RCPT TO:<bad", StringComparison.OrdinalIgnoreCase) ? "550 5.1.1 No such user here\r\n"
            : line.StartsWith("RCPT TO:<slow", StringComparison.OrdinalIgnoreCase) ? "451 4.7.1 Greylisted, please retry\r\n"
            : null,
    };

    private static string Policy(ScriptedPeer peer, ScriptedPeer home) =>
        $"default:\n{DeliveryHarness.FastRetry}\ndomains:\n  peer.test:\n    route: 127.0.0.1:{peer.EndPoint.Port}\n" +
        $"  home.test:\n    route: 127.0.0.1:{home.EndPoint.Port}\n";

    private static Task<DeliveryHarness> StartAsync(ScriptedPeer peer, ScriptedPeer home, RecordingReportComposer composer, TimeSpan? delayNoticeAfter = null) =>
        DeliveryHarness.StartAsync(Policy(peer, home), peer.EndPoint.Port,
            lifecycle: new MessageLifecycleOptions { ReportingMta = "mta.test", DelayNoticeAfter = delayNoticeAfter ?? TimeSpan.FromHours(4), SweepInterval = TimeSpan.FromSeconds(1) },
            composer: composer);

    private static Task Until(Func<Task<bool>> condition, string what) => Poll.UntilAsync(condition, Patience, what);

    private static string[] Received(SmtpDialogue dialogue)
    {
        lock (dialogue.Messages) return dialogue.Messages.Select(m => Encoding.ASCII.GetString(m)).ToArray();
    }

    [Fact]
    public async Task Ten_failed_recipients_of_one_message_get_one_dsn_and_the_message_is_removed()
    {
        var receiver = Receiver();
        var inbox = new SmtpDialogue();
        await using var peer = new ScriptedPeer(receiver);
        await using var home = new ScriptedPeer(inbox);
        var composer = new RecordingReportComposer();
        await using var mta = await StartAsync(peer, home, composer);

        var recipients = Enumerable.Range(0, 10).Select(i => $"bad{i}@peer.test").Append("good@peer.test").ToArray();
        var id = await mta.SubmitAsync(Sender, recipients);

        await Until(async () => await mta.Store.GetMessageAsync(id) is null, "the message to be removed");
        await Until(() => Task.FromResult(Received(inbox).Length >= 1), "the DSN to reach the sender");
        // The delivered DSN is finished too: once the spool is empty nothing more can come, so "one" is final.
        await Until(async () => (await mta.Store.GetStatisticsAsync()).Messages == 0, "the spool to empty");
        var report = Assert.Single(composer.Reports);
        Assert.Equal(DeliveryReportKind.Final, report.Kind);
        Assert.Equal(id, report.Original.Id);
        Assert.Equal(recipients[..10].Order(), report.Recipients.Select(r => r.Address).Order());
        Assert.All(report.Recipients, r => Assert.StartsWith("550 5.1.1", r.LastReply));
        Assert.All(report.Recipients, r => Assert.Equal("127.0.0.1", r.RemoteMta));
        Assert.All(report.Recipients, r => Assert.NotNull(r.LastAttemptAt));

        var dsn = Assert.Single(Received(inbox));
        Assert.Contains($"Subject: Final {id}", dsn);
        // From the null sender, to the original sender, and never NOTIFY'd itself.
        var mail = Assert.Single(home.Connections.SelectMany(c => c.Lines), l => l.StartsWith("MAIL", StringComparison.Ordinal));
        Assert.StartsWith("MAIL FROM:<>", mail);
        Assert.Contains(home.Connections.SelectMany(c => c.Lines), l => l.StartsWith($"RCPT TO:<{Sender}>", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_delivered_message_is_removed_and_nobody_is_told()
    {
        var inbox = new SmtpDialogue();
        await using var peer = new ScriptedPeer(Receiver());
        await using var home = new ScriptedPeer(inbox);
        var composer = new RecordingReportComposer();
        await using var mta = await StartAsync(peer, home, composer);

        var id = await mta.SubmitAsync(Sender, ["good@peer.test", "also-good@peer.test"]);

        await Until(async () => await mta.Store.GetMessageAsync(id) is null, "the message to be removed");
        Assert.Empty(composer.Reports);
        Assert.Equal(new QueueStatistics(0, 0, 0, 0, 0), await mta.Store.GetStatisticsAsync());
        Assert.Empty(home.Connections);
    }

    [Theory]
    [InlineData("", DsnNotify.NotGiven)]
    [InlineData(Sender, DsnNotify.Never)]
    [InlineData(Sender, DsnNotify.Success | DsnNotify.Delay)]
    public async Task No_dsn_goes_to_the_null_sender_or_against_the_senders_notify(string sender, DsnNotify notify)
    {
        await using var peer = new ScriptedPeer(Receiver());
        await using var home = new ScriptedPeer(new SmtpDialogue());
        var composer = new RecordingReportComposer();
        await using var mta = await StartAsync(peer, home, composer);

        var id = await mta.SubmitAsync(sender, ["bad@peer.test"], notify: notify);

        await Until(async () => await mta.Store.GetMessageAsync(id) is null, "the message to be removed");
        Assert.Empty(composer.Reports);
        Assert.Equal(new QueueStatistics(0, 0, 0, 0, 0), await mta.Store.GetStatisticsAsync());
        Assert.Empty(home.Connections);
    }

    [Fact]
    public async Task A_dsn_that_fails_is_dropped_and_never_bounced()
    {
        var refusingInbox = new SmtpDialogue { OnCommand = line => line.StartsWith("RCPT", StringComparison.Ordinal) ? "550 5.1.1 Mailbox gone\r\n" : null };
        await using var peer = new ScriptedPeer(Receiver());
        await using var home = new ScriptedPeer(refusingInbox);
        var composer = new RecordingReportComposer();
        await using var mta = await StartAsync(peer, home, composer);

        await mta.SubmitAsync(Sender, ["bad@peer.test"]);

        // The original fails, its DSN fails at the sender's receiver, and that is the end of it.
        await Until(() => Task.FromResult(home.Connections.SelectMany(c => c.Lines).Any(l => l.StartsWith("RCPT", StringComparison.Ordinal))), "the DSN to be tried");
        await Until(async () => (await mta.Store.GetStatisticsAsync()).Messages == 0, "the spool to empty");
        Assert.Single(composer.Reports);
    }

    [Fact]
    public async Task A_recipient_deferred_past_the_notice_time_gets_one_delay_notice_per_interval()
    {
        var inbox = new SmtpDialogue();
        await using var peer = new ScriptedPeer(Receiver());
        await using var home = new ScriptedPeer(inbox);
        var composer = new RecordingReportComposer();
        var interval = TimeSpan.FromSeconds(3);
        await using var mta = await StartAsync(peer, home, composer, delayNoticeAfter: interval);

        var message = await mta.SubmitMessageAsync(Sender, ["slow@peer.test", "good@peer.test"]);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        await Until(() => Task.FromResult(Received(inbox).Length >= 1), "the delay notice to reach the sender");
        var report = composer.Reports[0];
        Assert.Equal(DeliveryReportKind.Delayed, report.Kind);
        var slow = Assert.Single(report.Recipients);
        Assert.Equal("slow@peer.test", slow.Address);
        Assert.StartsWith("451 4.7.1", slow.LastReply);
        Assert.Equal(slow.QueuedAt + TimeSpan.FromHours(1), report.WillRetryUntil![slow.RecipientId]);
        var stored = (await mta.RecipientsAsync(message.Id)).Single(r => r.Address == "slow@peer.test");
        Assert.NotNull(stored.DelayNoticeAt);

        // Retries run every second; notices at most once per interval (an upper bound: a slower machine sends fewer).
        await Task.Delay(interval * 2);
        var notices = composer.Reports.Count;
        var allowed = (int)(clock.Elapsed / interval) + 1;
        Assert.InRange(notices, 1, allowed);
        Assert.All(composer.Reports, r => Assert.Equal(DeliveryReportKind.Delayed, r.Kind));
    }

    [Fact]
    public async Task A_message_left_complete_by_a_crash_is_finished_by_the_sweep_after_restart()
    {
        var inbox = new SmtpDialogue();
        await using var peer = new ScriptedPeer(Receiver());
        await using var home = new ScriptedPeer(inbox);
        var composer = new RecordingReportComposer();
        await using var mta = await StartAsync(peer, home, composer);
        mta.Engine.Domains.Tell(new Domains.SuspendDomain("peer.test"));
        var message = await mta.SubmitMessageAsync(Sender, ["bad@peer.test"]);

        // The last outcome committed, and the node died before any entity heard of it.
        var recipient = Assert.Single(await mta.RecipientsAsync(message.Id));
        Assert.Equal([message.Id], (await mta.Store.RecordAttemptsAsync([new RecipientAttempt(recipient.RecipientId, RecipientState.Failed, DateTimeOffset.UtcNow, "550 5.1.1 gone")])).Select(c => c.MessageId));
        await mta.RestartAsync();

        await Until(async () => await mta.Store.GetMessageAsync(message.Id) is null, "the sweep to finish the message");
        await Until(() => Task.FromResult(Received(inbox).Length >= 1), "the DSN to reach the sender");
        Assert.Single(composer.Reports);
        Assert.Single(Received(inbox));
    }
}
