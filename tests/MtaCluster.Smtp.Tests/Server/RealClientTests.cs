using System.Net;
using System.Text;
using MtaCluster.Mail;
using MtaCluster.Smtp.Protocol;
using MtaCluster.Smtp.Tests.TestSupport;

namespace MtaCluster.Smtp.Tests.Server;

/// <summary>
/// Real SMTP clients (swaks, Python's smtplib, Postfix's smtp-source) against a real server on free loopback
/// ports with a self-signed certificate. The tools are installed by scripts/test.sh.
/// </summary>
public class RealClientTests
{
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(60);

    private static string Server(IPEndPoint endPoint) => $"{endPoint.Address}:{endPoint.Port}";

    private static Task<ExternalTool.Result> SwaksAsync(params string[] arguments) =>
        ExternalTool.RunAsync("/usr/bin/swaks",
            ["--from", "sender@example.com", "--to", "rcpt@example.net", "--helo", "swaks.test", "--timeout", "20", .. arguments],
            ToolTimeout);

    private static async Task<ExternalTool.Result> PythonAsync(string script)
    {
        var dir = Path.Combine(Path.GetTempPath(), "smtp-py-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var file = Path.Combine(dir, "client.py");
            await File.WriteAllTextAsync(file, script);
            return await ExternalTool.RunAsync("python3", [file], ToolTimeout);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private const string PythonPrelude = """
        import smtplib, ssl, sys
        from email.message import EmailMessage
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE

        """;

    [Fact]
    public async Task Swaks_auth_plain_over_starttls_on_submission()
    {
        await using var server = await ServerFixture.StartAsync(o => o.TrustedNetworks = []);
        var result = await SwaksAsync("--server", Server(server.Submission), "--tls",
            "--auth", "PLAIN", "--auth-user", ServerFixture.User, "--auth-password", ServerFixture.Password);
        Assert.True(result.ExitCode == 0, result.ToString());
        await server.Spool.WaitForCountAsync(1, TimeSpan.FromSeconds(5));
        var m = server.Spool.Single();
        Assert.Equal(ServerFixture.User, m.AuthenticatedUser);
        Assert.Equal("rcpt@example.net", m.Recipients[0].Address);
        Assert.Contains(" with ESMTPSA id ", FakeSpool.Text(m));
    }

    [Fact]
    public async Task Swaks_without_auth_on_submission_is_refused()
    {
        await using var server = await ServerFixture.StartAsync(o => o.TrustedNetworks = []);
        var result = await SwaksAsync("--server", Server(server.Submission), "--tls");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("530 5.7.0", result.Output);
        Assert.Empty(server.Spool.Accepted);
    }

    [Fact]
    public async Task Swaks_pipelining_on_the_relay_listener()
    {
        await using var server = await ServerFixture.StartAsync();
        var result = await SwaksAsync("--server", Server(server.Relay), "--pipeline",
            "--to", "a@example.net,b@example.org,c@[127.0.0.1]");
        Assert.True(result.ExitCode == 0, result.ToString());
        await server.Spool.WaitForCountAsync(1, TimeSpan.FromSeconds(5));
        Assert.Equal(["example.net", "example.org", "[127.0.0.1]"], server.Spool.Single().Recipients.Select(r => r.Domain));
    }

    [Fact]
    public async Task Swaks_eight_bit_body_on_the_relay_listener()
    {
        await using var server = await ServerFixture.StartAsync();
        var result = await SwaksAsync("--server", Server(server.Relay), "--body", "Grüße aus Köln, naïve café",
            "--add-header", "Content-Type: text/plain; charset=utf-8");
        Assert.True(result.ExitCode == 0, result.ToString());
        await server.Spool.WaitForCountAsync(1, TimeSpan.FromSeconds(5));
        Assert.Contains("Grüße aus Köln", FakeSpool.Text(server.Spool.Single()));
    }

    [Fact]
    public async Task Swaks_tls_on_connect_on_the_implicit_tls_listener()
    {
        await using var server = await ServerFixture.StartAsync();
        var result = await SwaksAsync("--server", Server(server.ImplicitTls), "--tls-on-connect",
            "--auth", "LOGIN", "--auth-user", ServerFixture.User, "--auth-password", ServerFixture.Password);
        Assert.True(result.ExitCode == 0, result.ToString());
        await server.Spool.WaitForCountAsync(1, TimeSpan.FromSeconds(5));
        var m = server.Spool.Single();
        Assert.Equal("submissions", m.ListenerName);
        Assert.Equal(ServerFixture.User, m.AuthenticatedUser);
    }

    [Fact]
    public async Task Smtplib_smtputf8_with_a_utf8_local_part()
    {
        await using var server = await ServerFixture.StartAsync();
        var result = await PythonAsync(PythonPrelude + $$"""
            msg = EmailMessage()
            msg["From"] = "jöran@exämple.com"
            msg["To"] = "δοκιμή@παράδειγμα.δοκιμή"
            msg["Subject"] = "Grüße"
            msg.set_content("Unicode body: ✓")
            with smtplib.SMTP("{{server.Relay.Address}}", {{server.Relay.Port}}, timeout=20) as s:
                s.send_message(msg)
            print("sent")
            """);
        Assert.True(result.ExitCode == 0, result.ToString());
        await server.Spool.WaitForCountAsync(1, TimeSpan.FromSeconds(5));
        var m = server.Spool.Single();
        Assert.True(m.SmtpUtf8);
        Assert.Equal("jöran@exämple.com", m.ReversePath);
        Assert.Equal("δοκιμή@παράδειγμα.δοκιμή", m.Recipients[0].Address);
        Assert.Equal("xn--hxajbheg2az3al.xn--jxalpdlp", m.Recipients[0].Domain);
    }

    [Fact]
    public async Task Smtplib_auth_plain_over_starttls_with_8bitmime()
    {
        await using var server = await ServerFixture.StartAsync(o => o.TrustedNetworks = []);
        var result = await PythonAsync(PythonPrelude + $$"""
            with smtplib.SMTP("{{server.Submission.Address}}", {{server.Submission.Port}}, timeout=20) as s:
                s.ehlo("python.test")
                s.starttls(context=ctx)
                s.ehlo("python.test")
                s.login("{{ServerFixture.User}}", "{{ServerFixture.Password}}")
                body = "Subject: 8bit\r\n\r\nCafé crème\r\n".encode("utf-8")
                s.sendmail("sender@example.com", ["rcpt@example.net"], body, mail_options=["BODY=8BITMIME"])
            print("sent")
            """);
        Assert.True(result.ExitCode == 0, result.ToString());
        await server.Spool.WaitForCountAsync(1, TimeSpan.FromSeconds(5));
        var m = server.Spool.Single();
        Assert.Equal(MessageBodyType.EightBitMime, m.BodyType);
        Assert.Equal(ServerFixture.User, m.AuthenticatedUser);
        Assert.Contains("Café crème", FakeSpool.Text(m));
    }

    [Fact]
    public async Task Smtplib_bad_password_raises_authentication_error()
    {
        await using var server = await ServerFixture.StartAsync();
        var result = await PythonAsync(PythonPrelude + $$"""
            with smtplib.SMTP("{{server.Submission.Address}}", {{server.Submission.Port}}, timeout=20) as s:
                s.starttls(context=ctx)
                try:
                    s.login("{{ServerFixture.User}}", "nope")
                except smtplib.SMTPAuthenticationError as e:
                    print("refused", e.smtp_code, e.smtp_error.decode())
                    sys.exit(0)
            sys.exit(1)
            """);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("refused 535 5.7.8", result.Output);
    }

    [Fact]
    public async Task Smtplib_smtp_ssl_on_the_implicit_tls_listener()
    {
        await using var server = await ServerFixture.StartAsync();
        var result = await PythonAsync(PythonPrelude + $$"""
            msg = EmailMessage()
            msg["From"] = "sender@example.com"
            msg["To"] = "rcpt@example.net"
            msg["Subject"] = "implicit tls"
            msg.set_content("hello")
            with smtplib.SMTP_SSL("{{server.ImplicitTls.Address}}", {{server.ImplicitTls.Port}}, context=ctx, timeout=20) as s:
                s.login("{{ServerFixture.User}}", "{{ServerFixture.Password}}")
                s.send_message(msg)
            print("sent")
            """);
        Assert.True(result.ExitCode == 0, result.ToString());
        await server.Spool.WaitForCountAsync(1, TimeSpan.FromSeconds(5));
        Assert.Contains("Subject: implicit tls", FakeSpool.Text(server.Spool.Single()));
    }

    [Fact]
    public async Task Smtplib_sending_raw_end_of_data_look_alikes_gets_one_reply_each_and_stays_in_sync()
    {
        await using var server = await ServerFixture.StartAsync();
        var cases = EndOfDataLookalikes.Cases(data: true)
            .Where(c => EndOfDataLookalikes.Named.Any(n => c.Name.StartsWith(n.Name + " after a header line", StringComparison.Ordinal)))
            .ToList();
        Assert.NotEmpty(cases);
        string wires = string.Join(", ", cases.Select(c => $"(\"{c.Name}\", bytes.fromhex(\"{Convert.ToHexString(c.Wire)}\"))"));
        // smtplib's data() and send_message() repair line endings; the look-alikes go out through its socket as they are.
        var result = await PythonAsync(PythonPrelude + $$"""
            cases = [{{wires}}]
            with smtplib.SMTP("{{server.Relay.Address}}", {{server.Relay.Port}}, timeout=20) as s:
                s.ehlo("python.test")
                for name, wire in cases:
                    for framing in ("DATA", "BDAT"):
                        s.mail("sender@example.com")
                        s.rcpt("rcpt@example.net")
                        if framing == "DATA":
                            code, _ = s.docmd("DATA")
                            assert code == 354, (name, code)
                            s.sock.sendall(wire)
                        else:
                            content = wire[:-3]
                            s.sock.sendall(b"BDAT %d LAST\r\n" % len(content) + content)
                        code, text = s.getreply()
                        print(framing, code, text.decode().split(" ")[0], name)
                        if s.noop()[0] != 250:
                            print("OUT OF SYNC", framing, name)
            """);
        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(cases.Count * 2, lines.Length);
        Assert.DoesNotContain(lines, l => l.StartsWith("OUT OF SYNC", StringComparison.Ordinal));
        Assert.All(lines, l => Assert.Matches(@"^(DATA|BDAT) (250 2\.0\.0|550 5\.6\.11|550 5\.6\.0) ", l));
        Assert.Contains(lines, l => l.Contains(" 550 5.6.0 <CRLF><NUL>.<CRLF>", StringComparison.Ordinal));
        int accepted = lines.Count(l => l.Contains(" 250 ", StringComparison.Ordinal));
        await server.Spool.WaitForCountAsync(accepted, TimeSpan.FromSeconds(5));
        Assert.Equal(accepted, server.Spool.Accepted.Count);
        Assert.All(server.Spool.Accepted, m => Assert.Empty(LenientReceivers.Problems(m.Content.ToArray())));
    }

    [Fact]
    public async Task Smtp_source_load_all_500_messages_accepted()
    {
        await using var server = await ServerFixture.StartAsync(o => o.MaxConnectionsPerClient = 100);
        server.Spool.CommitDelay = TimeSpan.FromMilliseconds(1);
        var result = await ExternalTool.RunAsync("/usr/sbin/smtp-source",
            ["-s", "10", "-m", "500", "-l", "2048", "-f", "sender@example.com", "-t", "rcpt@example.net", Server(server.Relay)],
            TimeSpan.FromSeconds(90));
        Assert.True(result.ExitCode == 0, result.ToString());
        await server.Spool.WaitForCountAsync(500, TimeSpan.FromSeconds(10));
        Assert.Equal(500, server.Spool.Accepted.Count);
        Assert.All(server.Spool.Accepted, m => Assert.True(m.Content.Length > 2048));
        Assert.Equal(500, server.Spool.Accepted.Select(m => m.Id).Distinct().Count());
    }
}
