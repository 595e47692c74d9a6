using MtaCluster.Delivery.Accounting;
using MtaCluster.Delivery.Policies;
using MtaCluster.Testing;

namespace MtaCluster.Delivery.Tests.EndToEnd;

/// <summary>A domain already delivering when domains.yaml is reloaded takes the new policy at its next decision.</summary>
public sealed class PolicyReloadTests
{
    private const string Domain = "reload.test";

    private static string Policy(int port, int maxConnections) =>
        $"default:\n{DeliveryHarness.FastRetry}\ndomains:\n  {Domain}:\n    route: 127.0.0.1:{port}\n    tls: none\n    max-connections: {maxConnections}\n";

    [Fact]
    public async Task A_lowered_connection_limit_holds_for_a_domain_with_connections_open_and_none_is_dropped()
    {
        var open = 0;
        var opened = 0;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var dialogue = new SmtpDialogue
        {
            AfterData = async connection =>
            {
                await release.Task;
                await connection.SendAsync("250 2.0.0 Ok\r\n");
            },
        };
        await using var peer = new ScriptedPeer(async (connection, _) =>
        {
            Interlocked.Increment(ref opened);
            Interlocked.Increment(ref open);
            try { await dialogue.RunAsync(connection); }
            finally { Interlocked.Decrement(ref open); }
        });
        await using var mta = await DeliveryHarness.StartAsync(Policy(peer.EndPoint.Port, 4), peer.EndPoint.Port,
            configure: o => o.ConnectionIdleTimeout = TimeSpan.FromSeconds(30));

        var ids = new List<string>();
        for (var i = 0; i < 8; i++) ids.Add(await mta.SubmitAsync("sender@example.com", [$"u{i}@{Domain}"]));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (Volatile.Read(ref open) < 4 && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.Equal(4, Volatile.Read(ref open));
        Assert.Equal(4, (await mta.StatusAsync(Domain)).MaxConnections);

        var before = mta.Policies.Current.Generation;
        mta.Policies.Replace(DomainPolicyLoader.Parse(Policy(peer.EndPoint.Port, 1)));
        var status = await mta.StatusAsync(Domain);
        Assert.Equal(1, status.MaxConnections);
        Assert.Equal(before + 1, mta.Policies.Current.Generation);
        // The four transactions under way are not cut off by the reload.
        Assert.Equal(4, status.ActiveConnections);

        release.SetResult();
        var records = await mta.Accounting.WaitForAsync(r => ids.Contains(r.MessageId), count: 8);
        Assert.All(records, r => Assert.Equal(AccountingRecordType.Delivered, r.Type));
        Assert.Equal(8, records.Select(r => r.MessageId).Distinct().Count());
        // The connections above the new limit closed after their transaction; none was opened beside the one kept.
        Assert.Equal(4, Volatile.Read(ref opened));
        deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while ((await mta.StatusAsync(Domain)).ActiveConnections > 1 && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.Equal(1, (await mta.StatusAsync(Domain)).ActiveConnections);
    }
}
