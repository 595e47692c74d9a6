using System.Net;
using MtaCluster.Smtp.Server;
using MtaCluster.Smtp.Tests.TestSupport;
using MtaCluster.Testing;

namespace MtaCluster.Smtp.Tests.Server;

/// <summary>Each refusal is one Information line with the client, the listener and the reply, within the log budget.</summary>
public class RefusalLoggingTests
{
    private static CapturedLogLine Single(CapturingLoggerProvider logs, string kind) =>
        Assert.Single(logs.Lines, l => l.Message.StartsWith("refused " + kind + ":", StringComparison.Ordinal));

    private static void AssertLine(CapturedLogLine line, IPAddress client, string listener, string reply)
    {
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Information, line.Level);
        Assert.Contains($"client={client} listener={listener} reply=\"{reply}", line.Message);
    }

    [Fact]
    public async Task Relay_denied_is_logged_with_client_listener_reply_and_recipient()
    {
        var (factory, logs) = CapturingLoggerProvider.CreateFactory();
        await using var h = SessionHarness.Start(client: SessionHarness.UntrustedClient, loggerFactory: factory);
        await h.GreetAsync();
        await h.Client.CommandAsync("MAIL FROM:<a@example.com>");
        Assert.StartsWith("554 5.7.1", await h.Client.CommandAsync("RCPT TO:<b@example.net>"));
        var line = Single(logs, "relay-denied");
        AssertLine(line, SessionHarness.UntrustedClient, "relay", "554 5.7.1");
        Assert.EndsWith("rcpt=b@example.net", line.Message);
    }

    [Fact]
    public async Task A_quoted_recipient_cannot_add_fields_to_the_refusal_line()
    {
        var (factory, logs) = CapturingLoggerProvider.CreateFactory();
        await using var h = SessionHarness.Start(client: SessionHarness.UntrustedClient, loggerFactory: factory);
        await h.GreetAsync();
        await h.Client.CommandAsync("MAIL FROM:<a@example.com>");
        Assert.StartsWith("554 5.7.1", await h.Client.CommandAsync("RCPT TO:<\"b listener=submission\"@example.net>"));
        var line = Single(logs, "relay-denied");
        Assert.EndsWith(@"rcpt=\x22b\x20listener=submission\x22@example.net", line.Message);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(line.Message, " listener="));
    }

    [Fact]
    public async Task Auth_required_is_logged()
    {
        var (factory, logs) = CapturingLoggerProvider.CreateFactory();
        await using var h = SessionHarness.Start(kind: SmtpListenerKind.Submission, client: SessionHarness.UntrustedClient, loggerFactory: factory);
        await h.GreetAsync();
        Assert.StartsWith("530 5.7.0", await h.Client.CommandAsync("MAIL FROM:<a@example.com>"));
        AssertLine(Single(logs, "auth-required"), SessionHarness.UntrustedClient, "submission", "530 5.7.0");
    }

    [Fact]
    public async Task Spool_low_space_is_logged()
    {
        var (factory, logs) = CapturingLoggerProvider.CreateFactory();
        await using var h = SessionHarness.Start(capacity: new NoRoom(), loggerFactory: factory);
        await h.GreetAsync();
        Assert.StartsWith("452 4.3.1", await h.Client.CommandAsync("MAIL FROM:<a@example.com>"));
        AssertLine(Single(logs, "spool-full"), SessionHarness.TrustedClient, "relay", "452 4.3.1");
    }

    [Fact]
    public async Task Oversize_body_and_oversize_SIZE_are_logged()
    {
        var (factory, logs) = CapturingLoggerProvider.CreateFactory();
        await using var h = SessionHarness.Start(o => o.MaxMessageSize = 1000, loggerFactory: factory);
        await h.GreetAsync();
        Assert.StartsWith("552 5.3.4", await h.Client.CommandAsync("MAIL FROM:<a@example.com> SIZE=1001"));
        Assert.StartsWith("250", await h.Client.CommandAsync("MAIL FROM:<a@example.com>"));
        Assert.StartsWith("250", await h.Client.CommandAsync("RCPT TO:<b@example.net>"));
        await h.Client.CommandAsync("DATA");
        for (int i = 0; i < 30; i++) await h.Client.SendAsync(new string('z', 98) + "\r\n");
        await h.Client.SendAsync(".\r\n");
        Assert.StartsWith("552 5.3.4", await h.Client.ReadReplyAsync());
        var lines = logs.Lines.Where(l => l.Message.StartsWith("refused message-too-big:", StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, lines.Length);
        Assert.All(lines, l => AssertLine(l, SessionHarness.TrustedClient, "relay", "552 5.3.4"));
    }

    [Theory]
    [InlineData("bare LF\nin the middle\r\n", "550 5.6.11")]
    [InlineData("a NUL \0 in the middle\r\n", "550 5.6.0")]
    public async Task Smuggling_material_in_data_is_logged(string body, string reply)
    {
        var (factory, logs) = CapturingLoggerProvider.CreateFactory();
        await using var h = SessionHarness.Start(loggerFactory: factory);
        await h.OpenTransactionAsync();
        await h.Client.CommandAsync("DATA");
        await h.Client.SendAsync("Subject: x\r\n\r\n" + body + ".\r\n");
        Assert.StartsWith(reply, await h.Client.ReadReplyAsync());
        AssertLine(Single(logs, "malformed-input"), SessionHarness.TrustedClient, "relay", reply);
    }

    [Fact]
    public async Task Bare_lf_in_a_command_is_logged()
    {
        var (factory, logs) = CapturingLoggerProvider.CreateFactory();
        await using var h = SessionHarness.Start(loggerFactory: factory);
        await h.GreetAsync();
        await h.Client.SendAsync("NOOP\n");
        Assert.StartsWith("500 5.5.2", await h.Client.ReadReplyAsync());
        AssertLine(Single(logs, "malformed-input"), SessionHarness.TrustedClient, "relay", "500 5.5.2");
    }

    [Fact]
    public async Task Failed_auth_and_the_connection_limits_are_logged_by_a_real_server()
    {
        var (factory, logs) = CapturingLoggerProvider.CreateFactory();
        await using var server = await ServerFixture.StartAsync(o => o.MaxConnectionsPerClient = 1, factory);
        await using var client = await TestClient.ConnectAsync(server.Submission);
        Assert.StartsWith("220", await client.ReadReplyAsync());
        await client.CommandAsync("EHLO c.test");
        await client.CommandAsync("STARTTLS");
        await client.StartTlsAsync();
        await client.CommandAsync("EHLO c.test");
        var plain = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("\0alice\0wrong"));
        Assert.StartsWith("535 5.7.8", await client.CommandAsync("AUTH PLAIN " + plain));
        var auth = Single(logs, "auth-failed");
        AssertLine(auth, IPAddress.Loopback, "submission", "535 5.7.8");
        Assert.EndsWith("user=alice", auth.Message);

        await using var second = await TestClient.ConnectAsync(server.Relay);
        Assert.StartsWith("421 4.7.0", await second.ReadReplyAsync());
        var limit = (await logs.WaitForAsync(l => l.Message.StartsWith("refused connection-limit:", StringComparison.Ordinal))).Single();
        AssertLine(limit, IPAddress.Loopback, "relay", "421 4.7.0");
        Assert.EndsWith("limit=per-client", limit.Message);
    }

    [Fact]
    public async Task A_burst_of_1000_refusals_logs_the_limit_then_one_summary()
    {
        var (factory, logs) = CapturingLoggerProvider.CreateFactory();
        var time = new ManualTimeProvider();
        var context = new SmtpServerContext(new SmtpServerOptions { HostName = "mx.test" }, new FakeSpool(), loggerFactory: factory, timeProvider: time);
        await using var h = SessionHarness.Start(client: SessionHarness.UntrustedClient, context: context);
        await h.GreetAsync();
        await h.Client.CommandAsync("MAIL FROM:<a@example.com>");
        for (int i = 0; i < 1000; i++) Assert.StartsWith("554 5.7.1", await h.Client.CommandAsync($"RCPT TO:<b{i}@example.net>"));
        var refused = logs.Lines.Where(l => l.Message.StartsWith("refused relay-denied:", StringComparison.Ordinal)).ToArray();
        Assert.Equal(context.Options.RefusalLogLinesPerSecond, refused.Length);
        Assert.DoesNotContain(logs.Lines, l => l.Message.StartsWith("suppressed", StringComparison.Ordinal));

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.StartsWith("554 5.7.1", await h.Client.CommandAsync("RCPT TO:<late@example.net>"));
        var summary = Assert.Single(logs.Lines, l => l.Message.StartsWith("suppressed", StringComparison.Ordinal));
        Assert.Equal($"suppressed {1000 - refused.Length} similar refusals (relay-denied) in the last 1 s", summary.Message);
        Assert.Equal(refused.Length + 1, logs.Lines.Count(l => l.Message.StartsWith("refused relay-denied:", StringComparison.Ordinal)));
    }

    private sealed class NoRoom : MtaCluster.Smtp.Spool.ISpoolCapacity
    {
        public bool HasRoomForNewMail => false;
    }
}
