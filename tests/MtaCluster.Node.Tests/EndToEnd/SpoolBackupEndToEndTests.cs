using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using MtaCluster.Testing;
using Xunit.Abstractions;

namespace MtaCluster.Node.Tests.EndToEnd;

/// <summary>
/// <c>spool-backup</c> taken from a running node under load, <c>spool-restore</c> into another
/// node's data directory (refused while a node runs there), and that node delivers every message
/// acknowledged before the backup began, byte for byte.
/// </summary>
public sealed partial class SpoolBackupEndToEndTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mta-backup-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_backup_taken_under_load_and_restored_elsewhere_delivers_every_message_acknowledged_before_it()
    {
        var acknowledged = new ConcurrentDictionary<int, string>();
        var backup = Path.Combine(_dir, "backups", "spool.db");
        var port = FreePort.Next();
        var sourceConfig = await NodeConfig.WriteRelayNodeAsync(Path.Combine(_dir, "source.yaml"), Path.Combine(_dir, "source"), port, """
            Delivery:
              Hold: true
            """);
        int[] beforeBackup;
        await using (var source = NodeProcess.Start(_dir, ["--config", sourceConfig]))
        {
            await source.WaitForOutputAsync("SMTP listener relay", TimeSpan.FromSeconds(60));
            using var stop = new CancellationTokenSource();
            var clients = Enumerable.Range(0, 4).Select(c => Task.Run(() => SendLoopAsync(port, c, 4, acknowledged, stop.Token))).ToArray();
            await Poll.UntilAsync(() => acknowledged.Count >= 200 || clients.Any(c => c.IsFaulted), TimeSpan.FromSeconds(60), "200 messages acknowledged");
            if (clients.FirstOrDefault(c => c.IsFaulted) is { } failed) await failed;

            // The mail keeps coming while the backup runs.
            beforeBackup = [.. acknowledged.Keys];
            await using (var backupCommand = NodeProcess.Start(_dir, ["spool-backup", "--config", sourceConfig, "--out", backup]))
            {
                var exit = await backupCommand.WaitForExitAsync(TimeSpan.FromSeconds(120));
                output.WriteLine(backupCommand.OutputText);
                Assert.Equal(0, exit);
                Assert.Contains("verified", backupCommand.OutputText);
            }
            var duringBackup = acknowledged.Count;

            // A running node's own spool is never restored under it.
            await using (var refused = NodeProcess.Start(_dir, ["spool-restore", "--config", sourceConfig, "--from", backup]))
            {
                Assert.Equal(1, await refused.WaitForExitAsync(TimeSpan.FromSeconds(60)));
                Assert.Contains("another node is running on the data directory", refused.OutputText);
            }
            // Nor does a second node start on it.
            await using (var second = NodeProcess.Start(_dir, ["--config", sourceConfig]))
            {
                Assert.Equal(2, await second.WaitForExitAsync(TimeSpan.FromSeconds(60)));
                Assert.Contains("another node is running on the data directory", second.OutputText);
            }

            await stop.CancelAsync();
            await Task.WhenAll(clients);
            output.WriteLine($"{beforeBackup.Length} acknowledged before the backup, {duringBackup} when it ended, {acknowledged.Count} in all");
            source.Signal(NodeProcess.SIGTERM);
            Assert.Equal(0, await source.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        }

        await using var sink = await SmtpSink.StartAsync(dump: true);
        var domains = await NodeConfig.WriteRouteToAsync(Path.Combine(_dir, "domains.yaml"), sink.EndPoint.Port);
        var targetDir = Path.Combine(_dir, "target");
        var targetConfig = await NodeConfig.WriteRelayNodeAsync(Path.Combine(_dir, "target.yaml"), targetDir, FreePort.Next(), $"""
            Delivery:
              DomainsFile: {domains}
            """);
        await using (var restore = NodeProcess.Start(_dir, ["spool-restore", "--config", targetConfig, "--from", backup]))
        {
            var exit = await restore.WaitForExitAsync(TimeSpan.FromSeconds(60));
            output.WriteLine(restore.OutputText);
            Assert.Equal(0, exit);
            Assert.Contains("restored", restore.OutputText);
        }
        await using (var target = NodeProcess.Start(_dir, ["--config", targetConfig]))
        {
            await target.WaitForOutputAsync("SMTP listener relay", TimeSpan.FromSeconds(60));
            await Poll.UntilAsync(() => Delivered(sink).Count >= beforeBackup.Length, TimeSpan.FromSeconds(120), "the restored mail delivered");
            target.Signal(NodeProcess.SIGTERM);
            Assert.Equal(0, await target.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        }

        var delivered = Delivered(sink);
        var missing = beforeBackup.Where(n => !delivered.ContainsKey(n)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} messages acknowledged before the backup were not delivered: {string.Join(", ", missing.Take(10))}");
        foreach (var n in beforeBackup) Assert.True(delivered[n], $"message {n} arrived with another body");
        // Whatever the backup holds beyond those was acknowledged too: nothing in it was made up.
        Assert.All(delivered.Keys, n => Assert.True(acknowledged.ContainsKey(n), $"message {n} was never acknowledged"));
    }

    private static async Task SendLoopAsync(int port, int client, int clients, ConcurrentDictionary<int, string> acknowledged, CancellationToken stop)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(180));
        await using var smtp = await LineSmtpClient.ConnectAsync(port, timeout.Token);
        await smtp.CommandAsync($"EHLO client{client}.example.com", timeout.Token);
        for (var n = client; !stop.IsCancellationRequested; n += clients)
        {
            var payload = Convert.ToHexString(RandomNumberGenerator.GetBytes(256));
            var content = Encoding.ASCII.GetBytes(
                $"From: <app@example.com>\r\nTo: <user{n}@example.net>\r\nSubject: backup {n}\r\nX-Check: {Check(payload)}\r\n\r\n{payload}\r\n");
            var reply = await smtp.SendAsync("app@example.com", [$"user{n}@example.net"], content, timeout.Token);
            Assert.StartsWith("250", reply);
            acknowledged[n] = payload;
        }
    }

    private static string Check(string payload) => Convert.ToHexString(SHA256.HashData(Encoding.ASCII.GetBytes(payload)))[..16];

    /// <summary>Every message number the sink holds, and whether its payload still matches its check.</summary>
    private static Dictionary<int, bool> Delivered(SmtpSink sink)
    {
        var delivered = new Dictionary<int, bool>();
        foreach (var file in Directory.GetFiles(sink.DumpDirectory!))
        {
            string text;
            try
            {
                text = File.ReadAllText(file);
            }
            catch (IOException)
            {
                continue;
            }
            var message = MessagePattern().Match(text);
            if (!message.Success) continue;
            delivered[int.Parse(message.Groups[1].Value)] = Check(message.Groups[3].Value) == message.Groups[2].Value;
        }
        return delivered;
    }

    [GeneratedRegex(@"^Subject: backup (\d+)\r?\nX-Check: ([0-9A-F]+)\r?\n\r?\n([0-9A-F]+)\r?$", RegexOptions.Multiline)]
    private static partial Regex MessagePattern();
}
