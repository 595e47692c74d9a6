using System.Text;
using MtaCluster.Delivery.Lifecycle;
using MtaCluster.Storage;
using MtaCluster.Testing;

namespace MtaCluster.Delivery.Tests.EndToEnd;

/// <summary>
/// Delay notices per message, not per domain: one notice covers every delayed recipient of a message
/// whichever of its domains deferred first, and no notice follows the end of a message.
/// </summary>
public sealed class DelayNoticeTests
{
    private const string Sender = "app@home.test";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static Task<DeliveryHarness> StartAsync(ScriptedPeer peer, ScriptedPeer home, IDeliveryReportComposer composer, TimeSpan delayNoticeAfter) =>
        DeliveryHarness.StartAsync(
            $"default:\n{DeliveryHarness.FastRetry}\ndomains:\n  peer.test:\n    route: 127.0.0.1:{peer.EndPoint.Port}\n" +
            $"  other.test:\n    route: 127.0.0.1:{peer.EndPoint.Port}\n  home.test:\n    route: 127.0.0.1:{home.EndPoint.Port}\n",
            peer.EndPoint.Port,
            lifecycle: new MessageLifecycleOptions { ReportingMta = "mta.test", DelayNoticeAfter = delayNoticeAfter, SweepInterval = TimeSpan.FromSeconds(1) },
            composer: composer);

    private static Task Until(Func<Task<bool>> condition, string what) => Poll.UntilAsync(condition, Patience, what);

    private static string[] Received(SmtpDialogue dialogue)
    {
        lock (dialogue.Messages) return dialogue.Messages.Select(m => Encoding.ASCII.GetString(m)).ToArray();
    }

    [Fact]
    public async Task Recipients_deferred_in_two_domains_share_one_notice_per_interval()
    {
        var inbox = new SmtpDialogue();
        await using var peer = new ScriptedPeer(new SmtpDialogue { OnCommand = line => line.StartsWith("RCPT", StringComparison.Ordinal) ? "451 4.7.1 Greylisted, please retry\r\n" : null });
        await using var home = new ScriptedPeer(inbox);
        var composer = new RecordingReportComposer();
        var interval = TimeSpan.FromSeconds(3);
        await using var mta = await StartAsync(peer, home, composer, interval);

        var message = await mta.SubmitMessageAsync(Sender, ["slow@peer.test", "slow@other.test"]);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        await Until(() => Task.FromResult(Received(inbox).Length >= 1), "the delay notice to reach the sender");
        // Both domains have deferred again since the first notice, so each has told the entity after it.
        var told = (await mta.RecipientsAsync(message.Id)).Max(r => r.Attempts);
        await Until(async () => (await mta.RecipientsAsync(message.Id)).All(r => r.Attempts > told), "both domains to defer again");

        var reports = composer.Reports;
        var notices = reports.Count;
        Assert.InRange(notices, 1, (int)(clock.Elapsed / interval) + 1);
        Assert.All(reports, r =>
        {
            Assert.Equal(DeliveryReportKind.Delayed, r.Kind);
            Assert.Equal(["slow@other.test", "slow@peer.test"], r.Recipients.Select(x => x.Address).Order());
            // Each recipient's give-up time, the one whose domain did not tell included.
            Assert.All(r.Recipients, x => Assert.Equal(x.QueuedAt + TimeSpan.FromHours(1), r.WillRetryUntil![x.RecipientId]));
        });
        var stored = await mta.RecipientsAsync(message.Id);
        Assert.NotNull(stored[0].DelayNoticeAt);
        Assert.Equal(stored[0].DelayNoticeAt, stored[1].DelayNoticeAt);
    }

    [Fact]
    public async Task A_notice_composed_while_the_message_completes_is_not_sent_and_only_the_failure_dsn_is()
    {
        var inbox = new SmtpDialogue();
        var refuse = false;
        // Deferred until the test says, then refused for good.
        await using var peer = new ScriptedPeer(new SmtpDialogue
        {
            OnCommand = line => !line.StartsWith("RCPT", StringComparison.Ordinal) ? null
                : Volatile.Read(ref refuse) ? "550 5.1.1 No such user here\r\n" : "451 4.7.1 Greylisted, please retry\r\n",
        });
        await using var home = new ScriptedPeer(inbox);
        DeliveryHarness? harness = null;
        string? messageId = null;
        // While the notice is being composed, the recipient's last attempt fails and completes the message.
        var composer = new RecordingReportComposer(async report =>
        {
            if (report.Kind != DeliveryReportKind.Delayed) return;
            Volatile.Write(ref refuse, true);
            await Until(async () => (await harness!.Store.GetCompletedMessagesAsync(null, 10)).Any(c => c.MessageId == messageId), "the message to complete");
        });
        await using var mta = harness = await StartAsync(peer, home, composer, TimeSpan.FromSeconds(2));

        messageId = (await mta.SubmitMessageAsync(Sender, ["slow@peer.test"])).Id;

        await Until(async () => (await mta.Store.GetStatisticsAsync()).Messages == 0, "the message and its DSN to be finished");
        Assert.Equal([DeliveryReportKind.Delayed, DeliveryReportKind.Final], composer.Reports.Select(r => r.Kind));
        var dsn = Assert.Single(Received(inbox));
        Assert.Contains($"Subject: Final {messageId}", dsn);
    }
}
