using System.Text;
using MtaCluster.Delivery.Lifecycle;
using MtaCluster.Mail;
using MtaCluster.Storage;
using MtaCluster.Testing;

namespace MtaCluster.Delivery.Tests.EndToEnd;

/// <summary>
/// NOTIFY=SUCCESS (RFC 3461 §4.1): a next hop that advertises DSN is handed the request and reports
/// itself; one that does not gets the message without it, and this node sends the "relayed" report,
/// in the same one DSN per message as any failures.
/// </summary>
public sealed class SuccessReportTests
{
    private const string Sender = "app@home.test";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>A receiver without DSN in its EHLO reply; bad* does not exist there.</summary>
    private static SmtpDialogue Receiver(bool dsn) => new()
    {
        Keywords = dsn ? ["PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES", "DSN"] : ["PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES"],
        OnCommand = line => line.StartsWith("RCPT TO:<bad", StringComparison.OrdinalIgnoreCase) ? "550 5.1.1 No such user here\r\n" : null,
    };

    private static Task<DeliveryHarness> StartAsync(ScriptedPeer peer, ScriptedPeer home, RecordingReportComposer composer) =>
        DeliveryHarness.StartAsync(
            $"default:\n{DeliveryHarness.FastRetry}\ndomains:\n  peer.test:\n    route: 127.0.0.1:{peer.EndPoint.Port}\n  home.test:\n    route: 127.0.0.1:{home.EndPoint.Port}\n",
            peer.EndPoint.Port,
            lifecycle: new MessageLifecycleOptions { ReportingMta = "mta.test", SweepInterval = TimeSpan.FromSeconds(1) },
            composer: composer);

    private static Task Until(Func<Task<bool>> condition, string what) => Poll.UntilAsync(condition, Patience, what);

    private static string[] Received(SmtpDialogue dialogue)
    {
        lock (dialogue.Messages) return dialogue.Messages.Select(m => Encoding.ASCII.GetString(m)).ToArray();
    }

    [Fact]
    public async Task A_hop_without_dsn_makes_one_report_of_the_relayed_and_the_failed_recipients_of_a_message()
    {
        var inbox = new SmtpDialogue();
        await using var peer = new ScriptedPeer(Receiver(dsn: false));
        await using var home = new ScriptedPeer(inbox);
        var composer = new RecordingReportComposer();
        await using var mta = await StartAsync(peer, home, composer);

        var id = await mta.SubmitAsync(Sender, ["good@peer.test", "bad@peer.test", "also-good@peer.test"], notify: DsnNotify.Success | DsnNotify.Failure);

        await Until(async () => (await mta.Store.GetStatisticsAsync()).Messages == 0, "the message and its DSN to be finished");
        var report = Assert.Single(composer.Reports);
        Assert.Equal(DeliveryReportKind.Final, report.Kind);
        Assert.Equal(id, report.Original.Id);
        Assert.Equal(
            [("also-good@peer.test", RecipientState.Relayed), ("bad@peer.test", RecipientState.Failed), ("good@peer.test", RecipientState.Relayed)],
            report.Recipients.Select(r => (r.Address, r.State)).Order());
        Assert.All(report.Recipients.Where(r => r.State == RecipientState.Relayed), r =>
        {
            Assert.Equal("250 2.0.0 Ok: queued as 4711", r.LastReply);
            Assert.Equal("127.0.0.1", r.RemoteMta);
        });
        // NOTIFY and ORCPT were withheld from the hop that could not take them.
        Assert.DoesNotContain(peer.Connections.SelectMany(c => c.Lines), l => l.Contains("NOTIFY=", StringComparison.Ordinal) || l.Contains("ORCPT=", StringComparison.Ordinal));
        Assert.Single(Received(inbox));
    }

    [Fact]
    public async Task A_hop_that_advertises_dsn_is_asked_for_the_success_report_and_this_node_sends_none()
    {
        var inbox = new SmtpDialogue();
        await using var peer = new ScriptedPeer(Receiver(dsn: true));
        await using var home = new ScriptedPeer(inbox);
        var composer = new RecordingReportComposer();
        await using var mta = await StartAsync(peer, home, composer);

        var id = await mta.SubmitAsync(Sender, ["good@peer.test"], notify: DsnNotify.Success);

        await Until(async () => await mta.Store.GetMessageAsync(id) is null, "the message to be removed");
        Assert.Empty(composer.Reports);
        Assert.Contains(peer.Connections.SelectMany(c => c.Lines), l => l == "RCPT TO:<good@peer.test> NOTIFY=SUCCESS ORCPT=rfc822;good@peer.test");
        Assert.Empty(home.Connections);
    }

    [Theory]
    [InlineData(Sender, DsnNotify.NotGiven)]
    [InlineData(Sender, DsnNotify.Failure | DsnNotify.Delay)]
    [InlineData("", DsnNotify.Success)]
    public async Task No_success_report_without_notify_success_or_to_the_null_sender(string sender, DsnNotify notify)
    {
        await using var peer = new ScriptedPeer(Receiver(dsn: false));
        await using var home = new ScriptedPeer(new SmtpDialogue());
        var composer = new RecordingReportComposer();
        await using var mta = await StartAsync(peer, home, composer);

        var message = await mta.SubmitMessageAsync(sender, ["good@peer.test"], notify: notify);

        await Until(async () => await mta.Store.GetMessageAsync(message.Id) is null, "the message to be removed");
        Assert.Empty(composer.Reports);
        Assert.Empty(home.Connections);
        Assert.Equal(new QueueStatistics(0, 0, 0, 0, 0), await mta.Store.GetStatisticsAsync());
    }
}
