using System.Diagnostics;
using MtaCluster.Delivery.Accounting;
using MtaCluster.Testing;
using Xunit.Abstractions;

namespace MtaCluster.Delivery.Tests.EndToEnd;

/// <summary>A domain's policy limits hold at the receiver: concurrent connections and message rate.</summary>
public sealed class ThrottleTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Two_connections_and_sixty_messages_a_minute_hold_at_the_receiver()
    {
        var open = 0;
        var maxOpen = 0;
        var accepted = new List<double>();
        var clock = Stopwatch.StartNew();
        var dialogue = new SmtpDialogue
        {
            AfterData = async connection =>
            {
                lock (accepted) accepted.Add(clock.Elapsed.TotalSeconds);
                await connection.SendAsync("250 2.0.0 Ok\r\n");
            },
        };
        await using var peer = new ScriptedPeer(async (connection, _) =>
        {
            var now = Interlocked.Increment(ref open);
            InterlockedMax(ref maxOpen, now);
            try
            {
                await dialogue.RunAsync(connection);
            }
            finally
            {
                Interlocked.Decrement(ref open);
            }
        });
        // A one-second burst window: the bucket holds a single message, so the pace is even from the start.
        var domains = $"default:\n{DeliveryHarness.FastRetry}\ndomains:\n  slow.test:\n    route: 127.0.0.1:{peer.EndPoint.Port}\n" +
                      "    max-connections: 2\n    max-messages-per-minute: 60\n    burst-window: 1s\n";
        await using var mta = await DeliveryHarness.StartAsync(domains, peer.EndPoint.Port, configure: o => o.ConnectionIdleTimeout = TimeSpan.FromSeconds(3));

        for (var i = 0; i < 60; i++) await mta.SubmitAsync("sender@example.com", [$"u{i}@slow.test"]);
        var window = TimeSpan.FromSeconds(15);
        await Task.Delay(window);

        double[] times;
        lock (accepted) times = accepted.ToArray();
        output.WriteLine($"{times.Length} messages in {window.TotalSeconds} s, at most {maxOpen} connections at once");
        Assert.InRange(maxOpen, 1, 2);
        Assert.True(times.Length >= 10, $"deliveries happened ({times.Length})");
        var rate = (times.Length - 1) / (times[^1] - times[0]);
        output.WriteLine($"rate {rate:F3} messages/s (policy: 1.000)");
        // The ceiling is the policy's promise; the floor is loose because a loaded machine may deliver slower
        // than the policy allows, and only a gross over-throttle (half the rate) is a bug.
        Assert.InRange(rate, 0.5, 1.1);
        Assert.All(mta.Accounting.Records, r => Assert.Equal(AccountingRecordType.Delivered, r.Type));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
