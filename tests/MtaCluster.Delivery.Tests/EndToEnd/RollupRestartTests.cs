using MtaCluster.Delivery.Accounting;
using MtaCluster.Storage;
using MtaCluster.Testing;

namespace MtaCluster.Delivery.Tests.EndToEnd;

/// <summary>
/// Domains that share an MX-rollup throttle keep their connection slots when one entity crashes and
/// restarts while its connection is open: the slot goes back to the group's throttle it came from.
/// </summary>
public sealed class RollupRestartTests(MailDnsFixture dns) : IClassFixture<MailDnsFixture>
{
    [Fact]
    public async Task An_entity_restarted_while_its_connection_was_open_leaves_the_group_its_slot()
    {
        var inData = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var messages = 0;
        var dialogue = new SmtpDialogue
        {
            AfterData = async connection =>
            {
                if (Interlocked.Increment(ref messages) == 1)
                {
                    inData.TrySetResult();
                    await release.Task.WaitAsync(TimeSpan.FromSeconds(30));
                }
                await connection.SendAsync("250 2.0.0 Ok\r\n");
            },
        };
        await using var peer = new ScriptedPeer(dialogue);
        var crashes = 0;
        var armed = 0;
        var crashed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // One connection for the whole group: a single leaked slot stalls both domains.
        var policy = "default:\n" + DeliveryHarness.FastRetry + "\n  max-connections: 10\n" +
                     "mx-patterns:\n  - name: rollup\n    match: [\"mx.rollup.test\"]\n    max-connections: 1\n";
        await using var mta = await DeliveryHarness.StartAsync(policy, peer.EndPoint.Port, dns.Dns.EndPoint, wrapStore: store =>
        {
            var (wrapped, faults) = FaultInjectingStore.Wrap(store);
            faults.Fault = (method, args) =>
            {
                if (method != nameof(IQueueStore.GetDueRecipientsForDomainAsync) || (string?)args[0] != "rollup-a.test" || Interlocked.Exchange(ref armed, 0) == 0) return null;
                Interlocked.Increment(ref crashes);
                crashed.TrySetResult();
                // Thrown inside the entity's handler: its supervisor restarts it.
                return new InvalidOperationException("the entity crashes here");
            };
            return wrapped;
        });

        var first = await mta.SubmitAsync("sender@example.com", ["a0@rollup-a.test"]);
        await inData.Task.WaitAsync(TimeSpan.FromSeconds(20));
        // The group's one slot is held by the open connection; the next fetch of rollup-a.test crashes its entity.
        Volatile.Write(ref armed, 1);
        var second = await mta.SubmitAsync("sender@example.com", ["a1@rollup-a.test"]);
        await crashed.Task.WaitAsync(TimeSpan.FromSeconds(20));
        release.TrySetResult();

        var third = await mta.SubmitAsync("sender@example.com", ["b0@rollup-b.test"]);
        var ids = new[] { first, second, third };
        var records = await mta.Accounting.WaitForAsync(r => ids.Contains(r.MessageId), count: 3);
        Assert.All(records, r => Assert.Equal(AccountingRecordType.Delivered, r.Type));
        Assert.Equal(1, crashes);
        Assert.Equal(3, dialogue.Messages.Count);
        Assert.Equal("mx:rollup", (await mta.StatusAsync("rollup-b.test")).ThrottleKey);
    }
}
