using System.Collections.Concurrent;
using System.Text;
using MtaCluster.Storage.Sqlite;
using MtaCluster.Testing;
using Xunit.Abstractions;

namespace MtaCluster.Node.Tests.EndToEnd;

/// <summary>
/// The promise behind every 250: a node killed with SIGKILL at a random moment, under load from
/// many clients, has every message it acknowledged in its spool after restart, with all its
/// recipients and a byte-identical body.
/// </summary>
public sealed class CrashSafetyTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mta-crash-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed record Acknowledged(string QueueId, string[] Recipients, byte[] Content);

    [Fact]
    public async Task Every_acknowledged_message_survives_SIGKILL_with_all_recipients_and_identical_body()
    {
        var port = FreePort.Next();
        var dataDir = Path.Combine(_dir, "data");
        var config = await NodeConfig.WriteRelayNodeAsync(Path.Combine(_dir, "node.yaml"), dataDir, port, """
            Delivery:
              Hold: true
            """);

        var acknowledged = new ConcurrentBag<Acknowledged>();
        await using (var node = NodeProcess.Start(_dir, ["--config", config]))
        {
            await node.WaitForOutputAsync("SMTP listener relay", TimeSpan.FromSeconds(60));

            using var stop = new CancellationTokenSource();
            var clients = Enumerable.Range(0, 16).Select(c => Task.Run(() => ClientLoopAsync(c, port, acknowledged, stop.Token))).ToArray();

            // Kill at a random moment once the load is flowing (50 acknowledged, however slow the
            // machine), so the kill lands inside group commits.
            await Poll.UntilAsync(() => acknowledged.Count >= 50, TimeSpan.FromSeconds(60), "the load reaching the node");
            var seed = Environment.TickCount;
            var delay = TimeSpan.FromMilliseconds(new Random(seed).Next(2000));
            output.WriteLine($"seed {seed}: SIGKILL {delay.TotalMilliseconds} ms after the 50th acknowledgement");
            await Task.Delay(delay);
            node.Signal(NodeProcess.SIGKILL);
            await node.WaitForExitAsync(TimeSpan.FromSeconds(30));
            stop.CancelAfter(TimeSpan.FromSeconds(10));
            await Task.WhenAll(clients);
        }
        output.WriteLine($"{acknowledged.Count} messages acknowledged before the kill");

        // A restart must come up on the spool the kill left behind, then stop cleanly.
        await using (var node = NodeProcess.Start(_dir, ["--config", config]))
        {
            await node.WaitForOutputAsync("SMTP listener relay", TimeSpan.FromSeconds(60));
            node.Signal(NodeProcess.SIGTERM);
            Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        }

        await using var store = new SqliteQueueStore(SqliteQueueStoreOptions.ForDataDirectory(dataDir));
        await store.InitializeAsync();
        var missing = new List<string>();
        foreach (var ack in acknowledged)
        {
            var message = await store.GetMessageAsync(ack.QueueId);
            if (message is null)
            {
                missing.Add($"{ack.QueueId}: not in the spool");
                continue;
            }
            // The spooled content is the client's message with our trace header prepended.
            var stored = await message.Body.ReadAllBytesAsync() ?? [];
            if (!stored.AsSpan().EndsWith(ack.Content)) missing.Add($"{ack.QueueId}: body differs");
            else if (!Encoding.ASCII.GetString(stored, 0, stored.Length - ack.Content.Length).StartsWith("Received: ", StringComparison.Ordinal))
                missing.Add($"{ack.QueueId}: something other than a Received header was prepended");
            var recipients = (await store.GetRecipientsAsync(ack.QueueId)).Select(r => r.Address).Order().ToArray();
            if (!recipients.SequenceEqual(ack.Recipients.Order())) missing.Add($"{ack.QueueId}: recipients {string.Join(",", recipients)}");
        }
        Assert.True(missing.Count == 0, string.Join(Environment.NewLine, missing.Take(20)));
    }

    private static async Task ClientLoopAsync(int clientNumber, int port, ConcurrentBag<Acknowledged> acknowledged, CancellationToken cancellationToken)
    {
        var random = new Random(clientNumber);
        try
        {
            await using var client = await LineSmtpClient.ConnectAsync(port, cancellationToken);
            await client.CommandAsync($"EHLO client{clientNumber}.example.com", cancellationToken);
            for (var n = 0; !cancellationToken.IsCancellationRequested; n++)
            {
                var recipients = Enumerable.Range(0, 1 + random.Next(3)).Select(r => $"user{clientNumber}-{n}-{r}@dest{r}.example.net").ToArray();
                var content = MakeContent(random, clientNumber, n);
                var reply = await client.SendAsync($"sender{clientNumber}@example.com", recipients, content, cancellationToken);
                if (!reply.StartsWith("250", StringComparison.Ordinal)) throw new IOException(reply);
                acknowledged.Add(new Acknowledged(reply.Split(' ')[^1], recipients, content));
            }
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or OperationCanceledException)
        {
            // The node was killed under this client: whatever it had not acknowledged may be lost.
        }
    }

    private static byte[] MakeContent(Random random, int client, int n)
    {
        var body = new StringBuilder();
        body.Append($"From: sender{client}@example.com\r\nTo: somebody@example.net\r\nSubject: crash test {client}/{n}\r\n");
        body.Append($"Message-ID: <{client}.{n}.{Guid.NewGuid():N}@example.com>\r\nDate: Sun, 22 Nov 2026 03:00:00 +0000\r\n\r\n");
        var lines = 20 + random.Next(80);
        for (var i = 0; i < lines; i++)
        {
            // Lines that start with a dot exercise transparency (RFC 5321 §4.5.2) on the way in.
            body.Append(i % 17 == 0 ? ".leading dot " : "line ").Append(client).Append('/').Append(n).Append('/').Append(i).Append(' ')
                .Append(Convert.ToHexString(Guid.NewGuid().ToByteArray())).Append("\r\n");
        }
        return Encoding.ASCII.GetBytes(body.ToString());
    }
}
