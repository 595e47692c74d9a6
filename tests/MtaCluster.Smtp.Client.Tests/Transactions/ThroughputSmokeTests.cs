using System.Diagnostics;
using MtaCluster.Smtp.Client.Connection;
using MtaCluster.Smtp.Client.Tests.Infrastructure;
using MtaCluster.Smtp.Client.Transactions;
using MtaCluster.Testing;

namespace MtaCluster.Smtp.Client.Tests.Transactions;

[CollectionDefinition(Name, DisableParallelization = true)]
public class ThroughputCollection
{
    public const string Name = "Throughput";
}

/// <summary>
/// A smoke run, not a benchmark: many messages over a few reused connections must all arrive; the
/// rate is printed (run with <c>--logger "console;verbosity=detailed"</c>) for a human to read. It
/// runs alone so other tests do not share the cores, and after a warm-up round, because the first
/// thousand messages mostly measure the JIT.
/// </summary>
[Collection(ThroughputCollection.Name)]
public class ThroughputSmokeTests
{
    private const int Connections = 10;
    private const int Messages = 2000;

    [Fact]
    public async Task Two_thousand_messages_over_ten_connections_to_smtp_sink()
    {
        await using SmtpSink sink = await SmtpSink.StartAsync();
        byte[] content = TestOptions.Message("throughput", string.Concat(Enumerable.Repeat(new string('x', 76) + "\r\n", 24)));
        MessageTransaction transaction = TestOptions.Transaction(content, "a@example.test");
        SmtpClientOptions options = TestOptions.Fast(seconds: 10);

        var connections = new SmtpClientConnection[Connections];
        for (int i = 0; i < Connections; i++)
        {
            connections[i] = await TestOptions.ConnectAsync(sink.EndPoint, options);
        }

        (int coldDelivered, TimeSpan cold) = await RunAsync(connections, transaction);
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        (int delivered, TimeSpan warm) = await RunAsync(connections, transaction);
        long allocatedPerMessage = (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / Messages;

        foreach (SmtpClientConnection connection in connections)
        {
            await connection.DisposeAsync();
        }

        Console.WriteLine($"{Messages} messages of {content.Length} bytes over {Connections} connections: first round {Messages / cold.TotalSeconds:F0} msg/s (with JIT warm-up), second round {Messages / warm.TotalSeconds:F0} msg/s, {allocatedPerMessage} bytes allocated per message");
        Assert.Equal(Messages, coldDelivered);
        Assert.Equal(Messages, delivered);
    }

    private static async Task<(int Delivered, TimeSpan Elapsed)> RunAsync(SmtpClientConnection[] connections, MessageTransaction transaction)
    {
        int delivered = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(connections.Select(connection => Task.Run(async () =>
        {
            for (int m = 0; m < Messages / Connections; m++)
            {
                TransactionResult result = await connection.SendAsync(transaction);
                if (result.Recipients[0].Status == RecipientStatus.Delivered)
                {
                    Interlocked.Increment(ref delivered);
                }
            }
        })));
        return (delivered, clock.Elapsed);
    }
}
