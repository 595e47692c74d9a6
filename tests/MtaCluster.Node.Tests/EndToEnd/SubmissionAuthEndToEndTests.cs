using MtaCluster.Smtp.Auth;
using MtaCluster.Testing;

namespace MtaCluster.Node.Tests.EndToEnd;

/// <summary>
/// A node configured from node.yaml as an operator writes it, driven by Python's smtplib from 127.0.0.1, which
/// is in the default trusted networks: the submission port still demands AUTH, the relay port does not unless
/// its RequireAuth says so, and Smtp:Content:StripNul reaches the sessions.
/// </summary>
public sealed class SubmissionAuthEndToEndTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mta-auth-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Submission_demands_auth_from_loopback_relay_does_not_unless_configured_to()
    {
        int relay = FreePort.Next(), submission = FreePort.Next(), guarded = FreePort.Next();
        var hash = PasswordHasher.Hash("app1 secret", 1000);
        var config = Path.Combine(_dir, "node.yaml");
        await File.WriteAllTextAsync(config, $"""
            Node:
              DataDir: {Path.Combine(_dir, "data")}
            Smtp:
              HostName: node.test
              Listeners:
                relay:
                  Port: {relay}
                submission:
                  Address: 127.0.0.1
                  Port: {submission}
                submissions:
                  Enabled: false
                guarded:
                  Address: 127.0.0.1
                  Port: {guarded}
                  Kind: Relay
                  RequireAuth: true
              Content:
                StripNul: true
              Auth:
                Users:
                  app1: "{hash}"
            Delivery:
              Hold: true
            """);
        await using var node = NodeProcess.Start(_dir, ["--config", config]);
        // The last line the listeners log: the ones turned off come after every one opened.
        await node.WaitForOutputAsync("SMTP listeners disabled", TimeSpan.FromSeconds(60));
        // The operator can read from the start-up log which listeners demand AUTH.
        Assert.Contains(node.Output, l => l.EndsWith($"SMTP listener guarded on 127.0.0.1:{guarded} (Relay, STARTTLS, AUTH required)", StringComparison.Ordinal));
        Assert.Contains(node.Output, l => l.EndsWith($"SMTP listener submission on 127.0.0.1:{submission} (Submission, STARTTLS, AUTH required)", StringComparison.Ordinal));
        Assert.Contains(node.Output, l => l.EndsWith($"SMTP listener relay on 127.0.0.1:{relay} (Relay, STARTTLS, AUTH optional)", StringComparison.Ordinal));
        Assert.Contains(node.Output, l => l.EndsWith("SMTP listeners disabled: submissions", StringComparison.Ordinal));
        // Which files made the configuration, in order: the shipped defaults, then --config, then the environment.
        var sources = Assert.Single(node.Output, l => l.Contains("configuration loaded from", StringComparison.Ordinal));
        var defaults = sources.IndexOf(Path.Combine("cluster-config", "node.yaml"), StringComparison.Ordinal);
        var given = sources.IndexOf(config, StringComparison.Ordinal);
        var environment = sources.IndexOf("environment variables MTA_*", StringComparison.Ordinal);
        Assert.True(defaults >= 0 && given > defaults && environment > given, sources);
        // The effective-configuration dump names the user but never shows its hash.
        Assert.Contains(node.Output, l => l.EndsWith("Smtp:Auth:Users:app1 = ***", StringComparison.Ordinal));
        Assert.DoesNotContain(node.Output, l => l.Contains(hash, StringComparison.Ordinal));

        var script = Path.Combine(_dir, "client.py");
        await File.WriteAllTextAsync(script, $$"""
            import smtplib, ssl
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE

            def session(port, login):
                s = smtplib.SMTP("127.0.0.1", port, timeout=20)
                s.ehlo("app.test")
                s.starttls(context=ctx)
                s.ehlo("app.test")
                if login:
                    s.login("app1", "app1 secret")
                return s

            def mail(name, port, login):
                s = session(port, login)
                code, text = s.mail("app@example.com")
                if code == 250:
                    s.rcpt("user@example.net")
                    code, text = s.data(b"Subject: " + name.encode() + b"\r\n\r\nhello\r\n")
                print(name, code, text.decode().split(" ")[0])
                s.quit()

            mail("submission-without-auth", {{submission}}, False)
            mail("submission-with-auth", {{submission}}, True)
            mail("relay-without-auth", {{relay}}, False)
            mail("guarded-without-auth", {{guarded}}, False)
            mail("guarded-with-auth", {{guarded}}, True)

            s = smtplib.SMTP("127.0.0.1", {{relay}}, timeout=20)
            s.ehlo("app.test")
            s.mail("app@example.com")
            s.rcpt("user@example.net")
            s.docmd("DATA")
            s.sock.sendall(b"Subject: nul\r\n\r\nbefore\r\n\x00.\r\nafter\r\n.\r\n")
            code, text = s.getreply()
            print("relay-nul", code, text.decode().split(" ")[0])
            s.quit()
            """);
        var output = await ExternalProcess.RunAsync("python3", script);
        var results = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.Split(' ')).Where(p => p.Length == 3).ToDictionary(p => p[0], p => $"{p[1]} {p[2]}");

        Assert.Equal("530 5.7.0", results["submission-without-auth"]);
        Assert.Equal("250 2.0.0", results["submission-with-auth"]);
        Assert.Equal("250 2.0.0", results["relay-without-auth"]);
        Assert.Equal("530 5.7.0", results["guarded-without-auth"]);
        Assert.Equal("250 2.0.0", results["guarded-with-auth"]);
        // StripNul: true in node.yaml: accepted, where the default would answer 550 5.6.0.
        Assert.Equal("250 2.0.0", results["relay-nul"]);

        node.Signal(NodeProcess.SIGTERM);
        Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }
}
