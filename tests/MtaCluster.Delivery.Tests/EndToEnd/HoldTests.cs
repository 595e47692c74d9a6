using MtaCluster.Delivery.Accounting;
using MtaCluster.Delivery.Domains;
using MtaCluster.Testing;

namespace MtaCluster.Delivery.Tests.EndToEnd;

/// <summary>Delivery:Hold switched on while a domain delivers (SIGHUP): the transaction under way finishes, nothing more is sent.</summary>
public sealed class HoldTests
{
    private const string Domain = "hold.test";

    [Fact]
    public async Task Hold_lets_the_transaction_under_way_finish_and_sends_nothing_more_until_it_is_lifted()
    {
        var firstData = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var dialogue = new SmtpDialogue
        {
            AfterData = async connection =>
            {
                firstData.TrySetResult();
                await release.Task;
                await connection.SendAsync("250 2.0.0 Ok\r\n");
            },
        };
        await using var peer = new ScriptedPeer(dialogue);
        DeliveryOptions? options = null;
        await using var mta = await DeliveryHarness.StartAsync(
            $"default:\n{DeliveryHarness.FastRetry}\ndomains:\n  {Domain}:\n    route: 127.0.0.1:{peer.EndPoint.Port}\n    tls: none\n    max-connections: 1\n",
            peer.EndPoint.Port,
            configure: o => { o.ConnectionIdleTimeout = TimeSpan.FromSeconds(30); options = o; });

        var ids = new List<string>();
        for (var i = 0; i < 10; i++) ids.Add(await mta.SubmitAsync("sender@example.com", [$"u{i}@{Domain}"]));
        await firstData.Task.WaitAsync(TimeSpan.FromSeconds(30));

        options!.Hold = true;
        release.SetResult();
        var first = await mta.Accounting.WaitForAsync(r => ids.Contains(r.MessageId));
        Assert.Equal(AccountingRecordType.Delivered, first[0].Type);
        // The connection closes after its transaction rather than taking the next of the nine it was handed.
        await Poll.UntilAsync(async () => (await mta.StatusAsync(Domain)).ActiveConnections == 0, TimeSpan.FromSeconds(30), "the held connection to close");
        Assert.Single(mta.Accounting.Records, r => ids.Contains(r.MessageId));
        Assert.Single(dialogue.Messages);

        options.Hold = false;
        mta.Engine.OnNewWork([Domain]);
        var records = await mta.Accounting.WaitForAsync(r => ids.Contains(r.MessageId), count: 10);
        Assert.All(records, r => Assert.Equal(AccountingRecordType.Delivered, r.Type));
        Assert.Equal(10, records.Select(r => r.MessageId).Distinct().Count());
    }
}
