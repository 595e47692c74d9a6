using System.Text;
using System.Text.Json;
using MtaCluster.Storage.Sqlite;
using MtaCluster.Testing;

namespace MtaCluster.Node.Tests.EndToEnd;

/// <summary>
/// What a sender gets back, end to end: Python's smtplib submits to a real node, a scripted receiver
/// refuses some recipients, the node's DSN goes back through delivery to the sender's own receiver,
/// and Python's email package judges it field by field.
/// </summary>
public sealed class DsnEndToEndTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private readonly string _dir = Directory.CreateTempSubdirectory("mta-dsn-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Recipients named bad* do not exist at the receiver.</summary>
    private static SmtpDialogue Receiver() => new()
    {
        OnCommand = line => line.StartsWith("RCPT TO:<bad", StringComparison.OrdinalIgnoreCase) ? "550 5.1.1 <bad> No such user here\r\n" : null,
    };

    [Fact]
    public async Task A_sender_gets_one_dsn_per_failed_message_with_every_field_and_the_subject_decoded()
    {
        var receiver = Receiver();
        var inbox = new SmtpDialogue();
        await using var peer = new ScriptedPeer(receiver);
        await using var home = new ScriptedPeer(inbox);
        var port = FreePort.Next();
        var domains = await NodeConfig.WriteRouteToAsync(Path.Combine(_dir, "domains.yaml"), peer.EndPoint.Port,
            $"domains:\n  home.test:\n    route: 127.0.0.1:{home.EndPoint.Port}\n    tls: none\n");
        var config = await NodeConfig.WriteRelayNodeAsync(Path.Combine(_dir, "node.yaml"), Path.Combine(_dir, "data"), port,
            $"Delivery:\n  DomainsFile: {domains}\n");
        await using var node = NodeProcess.Start(_dir, ["--config", config], new Dictionary<string, string> { ["MTA_Smtp__HostName"] = "mta.test" });
        await node.WaitForOutputAsync("SMTP listener relay", Wait);

        // Three messages: ten of eleven recipients refused (a GB2312 subject, NOTIFY, ORCPT, ENVID);
        // one refused recipient with a Big5 subject and RET=FULL; one from the null sender, which gets nothing back.
        var script = Path.Combine(_dir, "submit.py");
        await File.WriteAllTextAsync(script, $$"""
            import smtplib
            from email.header import Header
            def message(subject, charset):
                return ("From: <app@home.test>\r\nTo: <bad0@peer.test>\r\nSubject: " + Header(subject, charset).encode() +
                        "\r\nMessage-ID: <orig-" + charset + "@home.test>\r\n\r\nbody line\r\n").encode('ascii')
            with smtplib.SMTP('127.0.0.1', {{port}}, timeout=30) as s:
                s.ehlo('app.home.test')
                bad = ['bad%d@peer.test' % i for i in range(10)]
                refused = s.sendmail('app@home.test', bad + ['good@peer.test'], message('测试邮件', 'gb2312'),
                                     mail_options=['ENVID=env-gb2312', 'RET=HDRS'],
                                     rcpt_options=['NOTIFY=FAILURE,DELAY'])
                s.sendmail('app@home.test', ['bad-big5@peer.test'], message('測試郵件', 'big5'), mail_options=['RET=FULL'])
                s.sendmail('', ['bad-null@peer.test'], message('from nobody', 'utf-8'))
            print('ok')
            """);
        Assert.Contains("ok", await ExternalProcess.RunAsync("python3", script));

        await WaitUntil(() => Messages(inbox).Length >= 2, "two DSNs at the sender's receiver");
        var dsns = new List<JsonElement>();
        foreach (var raw in Messages(inbox)) dsns.Add(await PythonEmail.ParseAsync(raw));

        var gb = dsns.Single(d => Groups(d).Count() == 11);
        Assert.Equal("multipart/report", gb.GetProperty("content_type").GetString());
        Assert.Equal("delivery-status", gb.GetProperty("report_type").GetString());
        Assert.Empty(gb.GetProperty("defects").EnumerateArray());
        var headers = gb.GetProperty("headers");
        Assert.Contains("MAILER-DAEMON@mta.test", headers.GetProperty("From").GetString());
        Assert.Contains("app@home.test", headers.GetProperty("To").GetString());
        Assert.Equal("auto-replied", headers.GetProperty("Auto-Submitted").GetString());
        Assert.Equal("Undelivered Mail Returned to Sender", headers.GetProperty("Subject").GetString());
        var parts = gb.GetProperty("parts").EnumerateArray().ToArray();
        Assert.Equal(["text/plain", "message/delivery-status", "text/rfc822-headers"], parts.Select(p => p.GetProperty("content_type").GetString()));
        var text = parts[0].GetProperty("text").GetString()!;
        Assert.Contains("测试邮件", text);
        Assert.Contains("550 5.1.1", text);
        var groups = Groups(gb).ToArray();
        Assert.Equal("dns; mta.test", groups[0].GetProperty("Reporting-MTA").GetString());
        Assert.Equal("env-gb2312", groups[0].GetProperty("Original-Envelope-Id").GetString());
        Assert.True(groups[0].TryGetProperty("Arrival-Date/parsed", out _));
        var recipients = groups.Skip(1).ToArray();
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"rfc822; bad{i}@peer.test").Order(), recipients.Select(g => g.GetProperty("Final-Recipient").GetString()).Order());
        Assert.All(recipients, g =>
        {
            Assert.Equal("failed", g.GetProperty("Action").GetString());
            Assert.Equal("5.1.1", g.GetProperty("Status").GetString());
            Assert.Equal("dns; 127.0.0.1", g.GetProperty("Remote-MTA").GetString());
            Assert.StartsWith("smtp; 550 5.1.1", g.GetProperty("Diagnostic-Code").GetString());
            Assert.True(g.TryGetProperty("Last-Attempt-Date/parsed", out _));
        });
        Assert.Contains("Message-ID: <orig-gb2312@home.test>", parts[2].GetProperty("text").GetString());

        var big5 = dsns.Single(d => Groups(d).Count() == 2);
        var big5Parts = big5.GetProperty("parts").EnumerateArray().ToArray();
        Assert.Contains("測試郵件", big5Parts[0].GetProperty("text").GetString());
        Assert.Equal("message/rfc822", big5Parts[2].GetProperty("content_type").GetString());
        Assert.Equal("body line\r\n", big5Parts[2].GetProperty("inner_body").GetString());

        // Each DSN from the null sender; and none for the null sender's own failure.
        Assert.Equal(2, home.Connections.SelectMany(c => c.Lines).Count(l => l.StartsWith("MAIL FROM:<>", StringComparison.Ordinal)));
        await WaitUntil(() => node.Output.Count(l => l.Contains(": finished (", StringComparison.Ordinal)) >= 5, "all five messages (three and two DSNs) to finish");
        Assert.Contains(node.Output, l => l.Contains("no DSN is sent: the sender is null", StringComparison.Ordinal));
        node.Signal(NodeProcess.SIGTERM);
        Assert.Equal(0, await node.WaitForExitAsync(Wait));
        Assert.Equal(2, Messages(inbox).Length);

        // Nothing is left in the spool: finished mail is removed.
        await using var store = new SqliteQueueStore(SqliteQueueStoreOptions.ForDataDirectory(Path.Combine(_dir, "data")));
        await store.InitializeAsync();
        Assert.Equal(0, (await store.GetStatisticsAsync()).Messages);
    }

    private static IEnumerable<JsonElement> Groups(JsonElement dsn) =>
        dsn.GetProperty("parts").EnumerateArray().Where(p => p.GetProperty("content_type").GetString() == "message/delivery-status")
            .SelectMany(p => p.GetProperty("groups").EnumerateArray());

    private static byte[][] Messages(SmtpDialogue dialogue)
    {
        lock (dialogue.Messages) return dialogue.Messages.ToArray();
    }

    private static Task WaitUntil(Func<bool> condition, string what) => Poll.UntilAsync(condition, Wait, what);
}
