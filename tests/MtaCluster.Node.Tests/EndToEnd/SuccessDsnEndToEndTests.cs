using System.Text.Json;
using MtaCluster.Storage.Sqlite;
using MtaCluster.Testing;

namespace MtaCluster.Node.Tests.EndToEnd;

/// <summary>
/// NOTIFY=SUCCESS through a real node (RFC 3461 §4.1): Python's smtplib submits with NOTIFY, ORCPT,
/// ENVID and RET. Postfix's smtp-sink advertises DSN and writes the MAIL and RCPT arguments it got into
/// its dump, so the test reads what travelled on; a scripted receiver that does not advertise DSN gets
/// the other message, and the node's "relayed" report goes back to the sender's own receiver, where
/// Python's email package judges it field by field.
/// </summary>
public sealed class SuccessDsnEndToEndTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private readonly string _dir = Directory.CreateTempSubdirectory("mta-success-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Dsn_parameters_travel_to_a_hop_with_dsn_and_a_hop_without_it_makes_the_node_report_relayed()
    {
        await using var sink = await SmtpSink.StartAsync(dump: true);
        var inbox = new SmtpDialogue();
        await using var noDsn = new ScriptedPeer(new SmtpDialogue { Keywords = ["PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES"] });
        await using var home = new ScriptedPeer(inbox);
        var port = FreePort.Next();
        var domains = await NodeConfig.WriteRouteToAsync(Path.Combine(_dir, "domains.yaml"), sink.EndPoint.Port,
            $"domains:\n  home.test:\n    route: 127.0.0.1:{home.EndPoint.Port}\n    tls: none\n" +
            $"  nodsn.test:\n    route: 127.0.0.1:{noDsn.EndPoint.Port}\n    tls: none\n");
        var config = await NodeConfig.WriteRelayNodeAsync(Path.Combine(_dir, "node.yaml"), Path.Combine(_dir, "data"), port,
            $"Delivery:\n  DomainsFile: {domains}\n");
        await using var node = NodeProcess.Start(_dir, ["--config", config], new Dictionary<string, string> { ["MTA_Smtp__HostName"] = "mta.test" });
        await node.WaitForOutputAsync("SMTP listener relay", Wait);

        var script = Path.Combine(_dir, "submit.py");
        await File.WriteAllTextAsync(script, $$"""
            import smtplib
            def send(s, to, orcpt, envid, ret, subject):
                assert s.mail('app@home.test', ['ENVID=' + envid, 'RET=' + ret])[0] == 250
                assert s.rcpt(to, ['NOTIFY=SUCCESS,FAILURE', 'ORCPT=rfc822;' + orcpt])[0] == 250
                code, _ = s.data(("From: <app@home.test>\r\nTo: <" + to + ">\r\nSubject: " + subject +
                                  "\r\nMessage-ID: <" + envid + "@home.test>\r\n\r\nbody line\r\n").encode('ascii'))
                assert code == 250
            with smtplib.SMTP('127.0.0.1', {{port}}, timeout=30) as s:
                s.ehlo('app.home.test')
                send(s, 'r@example.net', 'Orig+2BR@example.net', 'env-dsn+2B1', 'FULL', 'to a hop with DSN')
                send(s, 'ok@nodsn.test', 'orig-ok@nodsn.test', 'env-relayed', 'HDRS', 'to a hop without DSN')
            print('ok')
            """);
        Assert.Contains("ok", await ExternalProcess.RunAsync("python3", script));

        // The hop with DSN got every parameter as the client gave it (xtext unchanged) and reports on its own.
        var dump = Assert.Single(await sink.WaitForDumpsAsync(1));
        var args = dump.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.StartsWith("X-Mail-Args: ", StringComparison.Ordinal) || l.StartsWith("X-Rcpt-Args: ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(
            [
                "X-Mail-Args: <app@home.test> RET=FULL ENVID=env-dsn+2B1",
                "X-Rcpt-Args: <r@example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Orig+2BR@example.net",
            ],
            args);

        await Poll.UntilAsync(() => Messages(inbox).Length >= 1, Wait, "the relayed DSN at the sender's receiver");
        await Poll.UntilAsync(() => node.Output.Count(l => l.Contains(": finished (", StringComparison.Ordinal)) >= 3, Wait, "both messages and the DSN to finish");
        var dsn = await PythonEmail.ParseAsync(Assert.Single(Messages(inbox)));

        Assert.Equal("multipart/report", dsn.GetProperty("content_type").GetString());
        Assert.Equal("delivery-status", dsn.GetProperty("report_type").GetString());
        Assert.Empty(dsn.GetProperty("defects").EnumerateArray());
        var headers = dsn.GetProperty("headers");
        Assert.Contains("MAILER-DAEMON@mta.test", headers.GetProperty("From").GetString());
        Assert.Contains("app@home.test", headers.GetProperty("To").GetString());
        Assert.Equal("Successful Mail Delivery Report", headers.GetProperty("Subject").GetString());
        Assert.Equal("auto-replied", headers.GetProperty("Auto-Submitted").GetString());
        var parts = dsn.GetProperty("parts").EnumerateArray().ToArray();
        Assert.Equal(["text/plain", "message/delivery-status", "text/rfc822-headers"], parts.Select(p => p.GetProperty("content_type").GetString()));
        var text = parts[0].GetProperty("text").GetString()!;
        Assert.Contains("<ok@nodsn.test>: relayed to a server that does not send delivery reports (2.0.0)", text);
        Assert.Contains("to a hop without DSN", text);
        Assert.Contains("Message-ID: <env-relayed@home.test>", parts[2].GetProperty("text").GetString());

        var groups = parts[1].GetProperty("groups").EnumerateArray().ToArray();
        Assert.Equal(2, groups.Length);
        Assert.Equal("dns; mta.test", groups[0].GetProperty("Reporting-MTA").GetString());
        Assert.Equal("env-relayed", groups[0].GetProperty("Original-Envelope-Id").GetString());
        Assert.True(groups[0].TryGetProperty("Arrival-Date/parsed", out _));
        var recipient = groups[1];
        Assert.Equal("rfc822; orig-ok@nodsn.test", recipient.GetProperty("Original-Recipient").GetString());
        Assert.Equal("rfc822; ok@nodsn.test", recipient.GetProperty("Final-Recipient").GetString());
        Assert.Equal("relayed", recipient.GetProperty("Action").GetString());
        Assert.Equal("2.0.0", recipient.GetProperty("Status").GetString());
        Assert.Equal("dns; 127.0.0.1", recipient.GetProperty("Remote-MTA").GetString());
        Assert.Equal("smtp; 250 2.0.0 Ok: queued as 4711", recipient.GetProperty("Diagnostic-Code").GetString());
        Assert.True(recipient.TryGetProperty("Last-Attempt-Date/parsed", out _));
        Assert.False(recipient.TryGetProperty("Will-Retry-Until", out _));

        // The hop without DSN was not sent what it did not offer; the report came from the null sender.
        Assert.DoesNotContain(noDsn.Connections.SelectMany(c => c.Lines), l => l.Contains("NOTIFY=", StringComparison.Ordinal) || l.Contains("ENVID=", StringComparison.Ordinal));
        Assert.Equal(1, home.Connections.SelectMany(c => c.Lines).Count(l => l.StartsWith("MAIL FROM:<>", StringComparison.Ordinal)));

        node.Signal(NodeProcess.SIGTERM);
        Assert.Equal(0, await node.WaitForExitAsync(Wait));
        Assert.Single(Messages(inbox));
        await using var store = new SqliteQueueStore(SqliteQueueStoreOptions.ForDataDirectory(Path.Combine(_dir, "data")));
        await store.InitializeAsync();
        Assert.Equal(0, (await store.GetStatisticsAsync()).Messages);
    }

    private static byte[][] Messages(SmtpDialogue dialogue)
    {
        lock (dialogue.Messages) return dialogue.Messages.ToArray();
    }
}
