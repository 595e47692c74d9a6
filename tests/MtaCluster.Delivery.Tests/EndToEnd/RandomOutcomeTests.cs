using System.Net;
using System.Net.Sockets;
using MtaCluster.Delivery.Domains;
using MtaCluster.Smtp.Client.Connection;
using MtaCluster.Testing;
using Xunit.Abstractions;

namespace MtaCluster.Delivery.Tests.EndToEnd;

/// <summary>
/// A property of the domain entity, over many seeded random receivers: whatever mix of refused and
/// reset connections, sockets this machine could not open, 421 greetings, 421s mid-session and per-recipient replies the receiver deals out, on
/// however many connections, every due recipient is attempted and none is left in flight.
/// </summary>
public sealed class RandomOutcomeTests(ITestOutputHelper output)
{
    private const string Domain = "random.test";
    private const int Cases = 32;
    private const int Concurrent = 4;

    [Fact]
    public async Task Every_due_recipient_is_attempted_whatever_the_receiver_does()
    {
        var failures = new List<string>();
        for (var first = 1; first <= Cases; first += Concurrent)
        {
            var batch = Enumerable.Range(first, Math.Min(Concurrent, Cases - first + 1)).Select(RunCaseAsync);
            failures.AddRange((await Task.WhenAll(batch)).OfType<string>());
        }
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    /// <summary>One seeded case; null when it held, otherwise what went wrong.</summary>
    private async Task<string?> RunCaseAsync(int seed)
    {
        var random = new Random(seed);
        var maxConnections = random.Next(2, 5);
        var perConnection = random.Next(1, 4);
        var messages = random.Next(4, 13);
        var connections = 0;
        await using var peer = new ScriptedPeer((connection, index) =>
        {
            Interlocked.Increment(ref connections);
            return RandomReceiver.RunAsync(connection, new Random(seed * 7919 + index));
        });
        // Deferred recipients come back only after an hour, so each case ends once everything was tried
        // once; a throttling reply pauses the domain only briefly and hardly slows it.
        var policy = $$"""
            default:
              retry: { intervals: [1h], then-every: 1h, jitter: 0, max-age: 1d }
              backoff: { retry-interval: 100ms, max-connections: 1, max-messages-per-minute: 60000 }
            domains:
              {{Domain}}:
                route: 127.0.0.1:{{peer.EndPoint.Port}}
                max-connections: {{maxConnections}}
                max-messages-per-connection: {{perConnection}}
            """;
        await using var mta = await DeliveryHarness.StartAsync(policy, peer.EndPoint.Port, connector: new SometimesRefused(new Random(-seed)));
        // Queued while suspended, so that resuming opens several connections at once.
        mta.Engine.Domains.Tell(new SuspendDomain(Domain));
        var recipients = new List<string>();
        for (var m = 0; m < messages; m++)
        {
            var to = Enumerable.Range(0, random.Next(1, 4)).Select(r => $"m{m}r{r}@{Domain}").ToArray();
            recipients.AddRange(to);
            await mta.SubmitAsync("sender@example.com", to);
        }
        mta.Engine.Domains.Tell(new ResumeDomain(Domain));

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            var attempted = mta.Accounting.Records.Select(r => r.Recipient).ToHashSet();
            var status = await mta.StatusAsync(Domain);
            var missing = recipients.Where(r => !attempted.Contains(r)).ToArray();
            if (missing.Length == 0 && status.InFlight == 0 && status.QueuedInMemory == 0)
            {
                output.WriteLine($"seed {seed}: {recipients.Count} recipients, {connections} connections (max {maxConnections}, {perConnection} per connection)");
                return null;
            }
            if (DateTime.UtcNow > deadline)
            {
                return $"seed {seed} (max-connections {maxConnections}, {perConnection} per connection, {connections} connections): " +
                       $"{missing.Length} of {recipients.Count} recipients never attempted, {status.InFlight} in flight, " +
                       $"{status.QueuedInMemory} queued, {status.ActiveConnections} connections open, in backoff: {status.InBackoff}";
            }
            await Task.Delay(50);
        }
    }

    /// <summary>
    /// Sends one connection in ten to a port where nothing listens (refused by the kernel, before any
    /// SMTP), and fails one in ten as if the machine were out of descriptors.
    /// </summary>
    private sealed class SometimesRefused(Random random) : ISmtpConnector
    {
        private static readonly IPEndPoint Closed = new(IPAddress.Loopback, FreePort.Next());

        public Task<SmtpConnectResult> ConnectAsync(IPEndPoint remote, IPAddress? source, string heloName, string? remoteHostName,
            SmtpClientOptions options, CancellationToken cancellationToken)
        {
            int roll;
            lock (random) roll = random.Next(10);
            if (roll == 1) throw new SocketException((int)SocketError.TooManyOpenSockets);
            var refuse = roll == 0;
            return SmtpConnector.Instance.ConnectAsync(refuse ? Closed : remote, source, heloName, remoteHostName, options, cancellationToken);
        }
    }
}
