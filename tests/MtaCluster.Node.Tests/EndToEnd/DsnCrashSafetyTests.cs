using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using MtaCluster.Testing;
using Xunit.Abstractions;

namespace MtaCluster.Node.Tests.EndToEnd;

/// <summary>
/// Exactly one DSN per failed message, whatever instant the node dies at: SIGKILL lands several
/// times while failures are recorded, messages completed and DSNs queued, and the spool that is
/// left holds one DSN for every message, never none and never two.
/// </summary>
public sealed partial class DsnCrashSafetyTests(ITestOutputHelper output) : IDisposable
{
    private const int Messages = 300;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(120);

    private readonly string _dir = Directory.CreateTempSubdirectory("mta-dsn-crash-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task SIGKILL_at_any_moment_leaves_exactly_one_dsn_per_failed_message()
    {
        // Every recipient is refused; the senders' receiver defers, so each DSN stays in the spool to be counted.
        await using var peer = new ScriptedPeer(new SmtpDialogue { OnCommand = l => l.StartsWith("RCPT", StringComparison.Ordinal) ? "550 5.1.1 No such user\r\n" : null });
        await using var home = new ScriptedPeer(new SmtpDialogue { OnCommand = l => l.StartsWith("RCPT", StringComparison.Ordinal) ? "452 4.2.2 Mailbox full\r\n" : null });
        var port = FreePort.Next();
        var dataDir = Path.Combine(_dir, "data");
        var domains = await NodeConfig.WriteRouteToAsync(Path.Combine(_dir, "domains.yaml"), peer.EndPoint.Port,
            $"domains:\n  home.test:\n    route: 127.0.0.1:{home.EndPoint.Port}\n    tls: none\n");
        async Task<string> Config(bool hold) => await NodeConfig.WriteRelayNodeAsync(Path.Combine(_dir, "node.yaml"), dataDir, port,
            $"Delivery:\n  DomainsFile: {domains}\n  Hold: {(hold ? "true" : "false")}\nSpool:\n  SweepInterval: 00:00:01\n");

        // Spooled while held, so the kills below land in the middle of the failures, not of the submission.
        await using (var node = NodeProcess.Start(_dir, ["--config", await Config(hold: true)]))
        {
            await node.WaitForOutputAsync("SMTP listener relay", Wait);
            var script = Path.Combine(_dir, "submit.py");
            await File.WriteAllTextAsync(script, $$"""
                import smtplib
                with smtplib.SMTP('127.0.0.1', {{port}}, timeout=60) as s:
                    for i in range({{Messages}}):
                        s.sendmail('app@home.test', ['nobody%d@peer.test' % i],
                                   ('From: <app@home.test>\r\nSubject: %d\r\nMessage-ID: <orig-%d@home.test>\r\n\r\nbody\r\n' % (i, i)).encode())
                print('ok')
                """);
            Assert.Contains("ok", await ExternalProcess.RunAsync("python3", script));
            node.Signal(NodeProcess.SIGTERM);
            Assert.Equal(0, await node.WaitForExitAsync(Wait));
        }

        var config = await Config(hold: false);
        var random = new Random(Environment.TickCount);
        var killedMidWork = 0;
        for (var kill = 0; kill < 4; kill++)
        {
            await using var node = NodeProcess.Start(_dir, ["--config", config]);
            await node.WaitForOutputAsync("SMTP listener relay", Wait);
            // Killed on an event, not a timer: once this run has recorded a few failures (each line is
            // logged after its commit), so on any machine the kill lands while the work goes on.
            var failures = random.Next(1, 20);
            var left = CountOriginals(dataDir);
            if (left > 0)
            {
                await Poll.UntilAsync(() => node.HasExited || BouncedLines(node) >= Math.Min(failures, left), Wait, "failures recorded before the kill");
            }
            node.Signal(NodeProcess.SIGKILL);
            await node.WaitForExitAsync(Wait);
            var after = CountOriginals(dataDir);
            if (after > 0 && BouncedLines(node) > 0) killedMidWork++;
            output.WriteLine($"kill {kill + 1} after {BouncedLines(node)} failures recorded: {after} originals left");
        }
        // Else every kill came after the work, and the test proved nothing about crashes.
        Assert.True(killedMidWork > 0, "no kill landed while failures were being recorded");

        await using (var node = NodeProcess.Start(_dir, ["--config", config]))
        {
            await node.WaitForOutputAsync("SMTP listener relay", Wait);
            using var timeout = new CancellationTokenSource(Wait);
            while (CountOriginals(dataDir) > 0) await Task.Delay(100, timeout.Token);
            node.Signal(NodeProcess.SIGTERM);
            Assert.Equal(0, await node.WaitForExitAsync(Wait));
        }

        var reported = DsnBodies(dataDir).Select(body => OriginalId().Match(body)).Select(m => m.Success ? m.Groups[1].Value : "?").ToList();
        output.WriteLine($"{reported.Count} DSNs in the spool");
        Assert.Equal(Enumerable.Range(0, Messages).Select(i => i.ToString()).Order(), reported.Order());
    }

    private static int BouncedLines(NodeProcess node) => node.Output.Count(l => l.Contains("bounced queue_id=", StringComparison.Ordinal));

    [GeneratedRegex(@"Message-ID: <orig-(\d+)@home\.test>")]
    private static partial Regex OriginalId();

    private static SqliteConnection Open(string dataDir)
    {
        var connection = new SqliteConnection($"Data Source={Path.Combine(dataDir, "spool.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        return connection;
    }

    private static long CountOriginals(string dataDir)
    {
        using var connection = Open(dataDir);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM messages WHERE reverse_path <> ''";
        return (long)command.ExecuteScalar()!;
    }

    private static List<string> DsnBodies(string dataDir)
    {
        using var connection = Open(dataDir);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT body FROM messages WHERE reverse_path = ''";
        using var reader = command.ExecuteReader();
        var bodies = new List<string>();
        while (reader.Read()) bodies.Add(Encoding.UTF8.GetString(reader.GetFieldValue<byte[]>(0)));
        return bodies;
    }
}
