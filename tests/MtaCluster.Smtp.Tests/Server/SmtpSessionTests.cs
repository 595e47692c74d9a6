using System.Text;
using MtaCluster.Mail;
using MtaCluster.Smtp.Protocol;
using MtaCluster.Smtp.Server;
using MtaCluster.Smtp.Tests.TestSupport;

namespace MtaCluster.Smtp.Tests.Server;

/// <summary>The dialogue that works, driven over in-memory pipes.</summary>
public class SmtpSessionTests
{
    [Fact]
    public async Task Ehlo_is_multiline_and_advertises_the_extensions()
    {
        await using var h = SessionHarness.Start(o => o.MaxMessageSize = 1234);
        var ehlo = (await h.GreetAsync()).Split('\n');
        Assert.StartsWith("250-mx.test Hello client.test [127.0.0.1]", ehlo[0]);
        Assert.All(ehlo[..^1], line => Assert.StartsWith("250-", line));
        Assert.StartsWith("250 ", ehlo[^1]);
        var keywords = ehlo.Skip(1).Select(l => l[4..]).ToList();
        Assert.Equal(["PIPELINING", "SIZE 1234", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES", "CHUNKING", "DSN"], keywords);
    }

    [Fact]
    public async Task A_message_is_queued_with_its_envelope_and_a_received_header()
    {
        await using var h = SessionHarness.Start();
        await h.GreetAsync();
        Assert.Equal("250 2.1.0 Ok", await h.Client.CommandAsync("MAIL FROM:<Sender@Example.com> SIZE=100 BODY=8BITMIME RET=HDRS ENVID=env+2B1"));
        Assert.Equal("250 2.1.5 Ok", await h.Client.CommandAsync("RCPT TO:<r1@B\u00FCcher.example> NOTIFY=FAILURE,DELAY ORCPT=rfc822;r1@x.example".Replace("\u00FC", "u")));
        Assert.Equal("250 2.1.5 Ok", await h.Client.CommandAsync("RCPT TO:<r2@[192.0.2.1]> NOTIFY=NEVER"));
        Assert.StartsWith("354 ", await h.Client.CommandAsync("DATA"));
        await h.Client.SendAsync("Subject: hi\r\n\r\n..dot\r\nbody\r\n.\r\n");
        Assert.Equal("250 2.0.0 Ok: queued as Q000001", await h.Client.ReadReplyAsync());

        var m = h.Spool.Single();
        Assert.Equal("Q000001", m.Id);
        Assert.Equal("Sender@Example.com", m.ReversePath);
        Assert.Equal(100, m.DeclaredSize);
        Assert.Equal(MessageBodyType.EightBitMime, m.BodyType);
        Assert.Equal(DsnReturn.Headers, m.Return);
        Assert.Equal("env+1", m.EnvelopeId);
        Assert.Equal("client.test", m.ClientHelo);
        Assert.Equal("relay", m.ListenerName);
        Assert.Null(m.AuthenticatedUser);
        Assert.Equal(2, m.Recipients.Count);
        Assert.Equal(("r1@Bucher.example", "bucher.example", DsnNotify.Failure | DsnNotify.Delay, "rfc822;r1@x.example"),
            (m.Recipients[0].Address, m.Recipients[0].Domain, m.Recipients[0].Notify, m.Recipients[0].OriginalRecipient));
        Assert.Equal(("[192.0.2.1]", DsnNotify.Never), (m.Recipients[1].Domain, m.Recipients[1].Notify));

        var text = FakeSpool.Text(m);
        Assert.Matches(@"^Received: from client\.test \(\[127\.0\.0\.1\]\)\r\n\tby mx\.test \(MtaCluster\) with ESMTP id Q000001; \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0000\r\n", text);
        Assert.EndsWith("Subject: hi\r\n\r\n.dot\r\nbody\r\n", text);
        Assert.DoesNotContain("Message-ID", text);
    }

    [Fact]
    public async Task A_non_ascii_orcpt_is_kept_as_utf8_and_one_that_is_not_utf8_is_refused()
    {
        await using var h = SessionHarness.Start();
        await h.GreetAsync();
        Assert.Equal("250 2.1.0 Ok", await h.Client.CommandAsync("MAIL FROM:<s@example.com>"));
        Assert.Equal("250 2.1.5 Ok", await h.Client.CommandAsync("RCPT TO:<j@example.net> ORCPT=rfc822;J+C3+B6rg@example.net"));
        Assert.Equal("501 5.5.4 ORCPT address does not decode to UTF-8 (RFC 6533 §3)",
            await h.Client.CommandAsync("RCPT TO:<k@example.net> ORCPT=rfc822;J+F6rg@example.net"));
        Assert.Equal("501 5.5.4 ORCPT address is not valid xtext (RFC 3461 §4.2)",
            await h.Client.CommandAsync("RCPT TO:<l@example.net> ORCPT=rfc822;J+c3+b6rg@example.net"));
        Assert.StartsWith("354 ", await h.Client.CommandAsync("DATA"));
        await h.Client.SendAsync("Subject: hi\r\n\r\nbody\r\n.\r\n");
        Assert.StartsWith("250 2.0.0 Ok: queued as", await h.Client.ReadReplyAsync());

        var recipient = Assert.Single(h.Spool.Single().Recipients);
        Assert.Equal(("j@example.net", "rfc822;J\u00F6rg@example.net"), (recipient.Address, recipient.OriginalRecipient));
    }

    [Fact]
    public async Task Received_header_names_the_single_recipient()
    {
        await using var h = SessionHarness.Start();
        await h.OpenTransactionAsync();
        await h.Client.CommandAsync("DATA");
        await h.Client.SendAsync("\r\nx\r\n.\r\n");
        Assert.StartsWith("250 2.0.0", await h.Client.ReadReplyAsync());
        Assert.Contains("\r\n\tfor <rcpt@example.net>; ", FakeSpool.Text(h.Spool.Single()));
    }

    [Fact]
    public async Task Submission_adds_message_id_and_date_when_missing()
    {
        // AUTH needs TLS, which the in-memory transport has not; the listener is told not to demand it.
        await using var h = SessionHarness.Start(kind: SmtpListenerKind.Submission, requireAuth: false);
        await h.OpenTransactionAsync();
        await h.Client.CommandAsync("DATA");
        await h.Client.SendAsync("Subject: no id\r\n\r\nDate: not a header\r\n.\r\n");
        Assert.StartsWith("250 2.0.0", await h.Client.ReadReplyAsync());
        var text = FakeSpool.Text(h.Spool.Single());
        Assert.Contains("\r\nMessage-ID: <Q000001@mx.test>\r\nDate: ", text);
        Assert.Single(text.Split("\r\nDate: ").Skip(1), s => s.Contains("+0000"));
    }

    [Fact]
    public async Task Submission_keeps_existing_message_id_and_date()
    {
        await using var h = SessionHarness.Start(kind: SmtpListenerKind.Submission, requireAuth: false);
        await h.OpenTransactionAsync();
        await h.Client.CommandAsync("DATA");
        await h.Client.SendAsync("Message-Id: <mine@x>\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\nbody\r\n.\r\n");
        Assert.StartsWith("250 2.0.0", await h.Client.ReadReplyAsync());
        var text = FakeSpool.Text(h.Spool.Single());
        Assert.DoesNotContain("Message-ID:", text);
        Assert.Single(text.Split("Date:").Skip(1));
    }

    [Fact]
    public async Task Pipelined_commands_get_their_replies_in_one_flush()
    {
        await using var h = SessionHarness.Start();
        await h.GreetAsync();
        int before = h.Transport.FlushCount;
        await h.Client.SendAsync("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.net>\r\nRCPT TO:<c@example.net>\r\nDATA\r\n");
        Assert.Equal("250 2.1.0 Ok", await h.Client.ReadReplyAsync());
        Assert.Equal("250 2.1.5 Ok", await h.Client.ReadReplyAsync());
        Assert.Equal("250 2.1.5 Ok", await h.Client.ReadReplyAsync());
        Assert.StartsWith("354", await h.Client.ReadReplyAsync());
        Assert.Equal(1, h.Transport.FlushCount - before);
    }

    [Fact]
    public async Task Pipelining_after_helo_is_answered_command_by_command()
    {
        await using var h = SessionHarness.Start();
        await h.Client.ReadReplyAsync();
        Assert.Equal("250 mx.test", await h.Client.CommandAsync("HELO old.client"));
        await h.Client.SendAsync("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.net>\r\nNOOP\r\nRSET\r\n");
        Assert.Equal("250 2.1.0 Ok", await h.Client.ReadReplyAsync());
        Assert.Equal("250 2.1.5 Ok", await h.Client.ReadReplyAsync());
        Assert.Equal("250 2.0.0 Ok", await h.Client.ReadReplyAsync());
        Assert.Equal("250 2.0.0 Ok", await h.Client.ReadReplyAsync());
        Assert.Equal(SmtpSessionState.Greeted, h.Session.State);
    }

    [Fact]
    public async Task Helo_transaction_is_marked_smtp_in_received()
    {
        await using var h = SessionHarness.Start();
        await h.Client.ReadReplyAsync();
        await h.Client.CommandAsync("HELO old.client");
        await h.Client.CommandAsync("MAIL FROM:<a@example.com>");
        await h.Client.CommandAsync("RCPT TO:<b@example.net>");
        await h.Client.CommandAsync("DATA");
        await h.Client.SendAsync("x\r\n.\r\n");
        await h.Client.ReadReplyAsync();
        Assert.Contains(" with SMTP id ", FakeSpool.Text(h.Spool.Single()));
    }

    [Fact]
    public async Task Commands_split_into_single_bytes_still_parse()
    {
        await using var h = SessionHarness.Start();
        await h.Client.ReadReplyAsync();
        foreach (byte b in "EHLO slow.client\r\n"u8.ToArray()) await h.Client.SendBytesAsync([b]);
        Assert.StartsWith("250-mx.test Hello slow.client", await h.Client.ReadReplyAsync());
    }

    [Fact]
    public async Task Smtputf8_transaction_accepts_utf8_addresses()
    {
        await using var h = SessionHarness.Start();
        await h.GreetAsync();
        Assert.Equal("250 2.1.0 Ok", await h.Client.CommandAsync("MAIL FROM:<jöran@exämple.com> SMTPUTF8"));
        Assert.Equal("250 2.1.5 Ok", await h.Client.CommandAsync("RCPT TO:<δοκιμή@παράδειγμα.δοκιμή>"));
        await h.Client.CommandAsync("DATA");
        await h.Client.SendAsync("Subject: ünïcode\r\n\r\nhi\r\n.\r\n");
        Assert.StartsWith("250 2.0.0", await h.Client.ReadReplyAsync());
        var m = h.Spool.Single();
        Assert.True(m.SmtpUtf8);
        Assert.Equal("jöran@exämple.com", m.ReversePath);
        Assert.Equal("xn--hxajbheg2az3al.xn--jxalpdlp", m.Recipients[0].Domain);
        Assert.Contains(" with UTF8SMTP id ", FakeSpool.Text(m));
    }

    [Fact]
    public async Task Informational_commands()
    {
        await using var h = SessionHarness.Start();
        await h.GreetAsync();
        Assert.StartsWith("252 2.5.0", await h.Client.CommandAsync("VRFY someone"));
        var help = await h.Client.CommandAsync("HELP");
        Assert.StartsWith("214-2.0.0 ", help);
        Assert.Contains("\n214 2.0.0 ", help);
        Assert.Equal("250 2.0.0 Ok", await h.Client.CommandAsync("NOOP"));
        Assert.StartsWith("502 5.5.1", await h.Client.CommandAsync("EXPN list"));
        Assert.Equal("221 2.0.0 Bye", await h.Client.CommandAsync("QUIT"));
        Assert.True(await h.Client.IsClosedAsync());
        Assert.True(await h.EndsWithinAsync(TimeSpan.FromSeconds(5)));
        Assert.True(h.Transport.Disposed);
    }

    [Fact]
    public async Task Rset_drops_the_transaction()
    {
        await using var h = SessionHarness.Start();
        await h.OpenTransactionAsync();
        Assert.Equal("250 2.0.0 Ok", await h.Client.CommandAsync("RSET"));
        Assert.StartsWith("503 5.5.1", await h.Client.CommandAsync("DATA"));
        Assert.StartsWith("250 2.1.0", await h.Client.CommandAsync("MAIL FROM:<>"));
    }

    [Fact]
    public async Task Several_messages_on_one_connection()
    {
        await using var h = SessionHarness.Start();
        await h.GreetAsync();
        for (int i = 0; i < 3; i++)
        {
            await h.Client.CommandAsync("MAIL FROM:<a@example.com>");
            await h.Client.CommandAsync("RCPT TO:<b@example.net>");
            await h.Client.CommandAsync("DATA");
            await h.Client.SendAsync($"Subject: {i}\r\n\r\n.\r\n");
            Assert.Equal($"250 2.0.0 Ok: queued as Q00000{i + 1}", await h.Client.ReadReplyAsync());
        }
        Assert.Equal(3, h.Spool.Accepted.Count);
    }

    [Fact]
    public async Task Commands_behind_the_final_dot_are_answered_after_the_queue_reply()
    {
        await using var h = SessionHarness.Start();
        await h.OpenTransactionAsync();
        await h.Client.CommandAsync("DATA");
        await h.Client.SendAsync("x\r\n.\r\nMAIL FROM:<a@example.com>\r\nQUIT\r\n");
        Assert.StartsWith("250 2.0.0 Ok: queued as", await h.Client.ReadReplyAsync());
        Assert.Equal("250 2.1.0 Ok", await h.Client.ReadReplyAsync());
        Assert.Equal("221 2.0.0 Bye", await h.Client.ReadReplyAsync());
        Assert.Single(h.Spool.Accepted);
    }

    [Fact]
    public async Task Reply_waits_for_the_spool_commit()
    {
        await using var h = SessionHarness.Start();
        h.Spool.CommitDelay = TimeSpan.FromMilliseconds(300);
        await h.OpenTransactionAsync();
        await h.Client.CommandAsync("DATA");
        await h.Client.SendAsync("x\r\n.\r\n");
        Assert.Null(await ReadOrNullAsync(h.Client, TimeSpan.FromMilliseconds(100)));
        Assert.StartsWith("250 2.0.0", await h.Client.ReadReplyAsync());
    }

    [Fact]
    public async Task Spool_failure_is_451_and_nothing_is_kept()
    {
        await using var h = SessionHarness.Start();
        h.Spool.Fail = _ => new IOException("disk full");
        await h.OpenTransactionAsync();
        await h.Client.CommandAsync("DATA");
        await h.Client.SendAsync("x\r\n.\r\n");
        Assert.StartsWith("451 4.3.0", await h.Client.ReadReplyAsync());
        Assert.Empty(h.Spool.Accepted);
        Assert.StartsWith("250 2.1.0", await h.Client.CommandAsync("MAIL FROM:<a@example.com>"));
    }

    [Fact]
    public async Task Shutdown_answers_421_4_3_2_and_closes()
    {
        await using var h = SessionHarness.Start();
        await h.GreetAsync();
        h.Shutdown();
        Assert.StartsWith("421 4.3.2", await h.Client.ReadReplyAsync());
        Assert.True(await h.EndsWithinAsync(TimeSpan.FromSeconds(5)));
    }

    internal static async Task<string?> ReadOrNullAsync(TestClient client, TimeSpan wait)
    {
        try
        {
            return await client.ReadReplyAsync(wait);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }
}
