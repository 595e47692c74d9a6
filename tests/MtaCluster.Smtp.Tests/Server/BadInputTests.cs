using System.Text;
using MtaCluster.Smtp.Server;
using MtaCluster.Smtp.Tests.TestSupport;

namespace MtaCluster.Smtp.Tests.Server;

/// <summary>
/// Each kind of bad input gets a clear reply with an enhanced status code, the session survives (or
/// closes cleanly where the reply says so), and the spool receives nothing.
/// </summary>
public class BadInputTests
{
    [Fact]
    public async Task Mail_before_ehlo_is_503()
    {
        await using var h = SessionHarness.Start();
        await h.Client.ReadReplyAsync();
        Assert.Equal("503 5.5.1 Bad sequence of commands", await h.Client.CommandAsync("MAIL FROM:<a@example.com>"));
        Assert.Empty(h.Spool.Accepted);
    }

    [Fact]
    public async Task Rcpt_before_mail_is_503()
    {
        await using var h = SessionHarness.Start();
        await h.GreetAsync();
        Assert.StartsWith("503 5.5.1", await h.Client.CommandAsync("RCPT TO:<b@example.net>"));
    }

    [Fact]
    public async Task Data_without_rcpt_is_503_and_no_354()
    {
        await using var h = SessionHarness.Start();
        await h.GreetAsync();
        await h.Client.CommandAsync("MAIL FROM:<a@example.com>");
        Assert.StartsWith("503 5.5.1", await h.Client.CommandAsync("DATA"));
        Assert.StartsWith("500 5.5.1", await h.Client.CommandAsync("Subject: this is not a command"));
        Assert.Empty(h.Spool.Accepted);
    }

    [Fact]
    public async Task Nested_mail_is_503()
    {
        await using var h = SessionHarness.Start();
        await h.OpenTransactionAsync();
        Assert.StartsWith("503 5.5.1", await h.Client.CommandAsync("MAIL FROM:<other@example.com>"));
    }

    [Fact]
    public async Task Data_after_bdat_is_503()
    {
        await using var h = SessionHarness.Start();
        await h.OpenTransactionAsync();
        await h.Client.SendAsync("BDAT 5\r\nhello");
        Assert.Equal("250 2.0.0 5 octets received", await h.Client.ReadReplyAsync());
        Assert.StartsWith("503 5.5.1", await h.Client.CommandAsync("DATA"));
        Assert.Empty(h.Spool.Accepted);
    }

    [Fact]
    public async Task Unknown_command_is_500_5_5_1()
    {
        await using var h = SessionHarness.Start();
        await h.GreetAsync();
        Assert.Equal("500 5.5.1 Command unrecognized", await h.Client.CommandAsync("XYZZY plugh"));
        Assert.Equal("250 2.0.0 Ok", await h.Client.CommandAsync("NOOP"));
    }

    [Fact]
    public async Task Too_many_bad_commands_close_with_421_4_7_0()
    {
        await using var h = SessionHarness.Start(o => o.MaxBadCommands = 3);
        await h.GreetAsync();
        Assert.StartsWith("500", await h.Client.CommandAsync("BAD1"));
        Assert.StartsWith("500", await h.Client.CommandAsync("BAD2"));
        Assert.StartsWith("421 4.7.0", await h.Client.CommandAsync("BAD3"));
        Assert.True(await h.Client.IsClosedAsync());
        Assert.True(await h.EndsWithinAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Overlong_command_line_is_500_5_5_2_and_the_session_goes_on()
    {
        await using var h = SessionHarness.Start();
        await h.GreetAsync();
        Assert.Equal("500 5.5.2 Line too long", await h.Client.CommandAsync("NOOP " + new string('x', 600)));
        Assert.Equal("250 2.0.0 Ok", await h.Client.CommandAsync("NOOP"));
    }

    [Fact]
    public async Task Overlong_command_line_arriving_in_pieces_is_discarded_without_buffering_it()
    {
        await using var h = SessionHarness.Start();
        await h.GreetAsync();
        for (int i = 0; i < 20; i++) await h.Client.SendAsync(new string('x', 1000));
        await h.Client.SendAsync("\r\nNOOP\r\n");
        Assert.Equal("500 5.5.2 Line too long", await h.Client.ReadReplyAsync());
        Assert.Equal("250 2.0.0 Ok", await h.Client.ReadReplyAsync());
    }

    [Fact]
    public async Task Auth_line_may_be_longer_than_a_command_line()
    {
        await using var h = SessionHarness.Start(authenticator: new MtaCluster.Smtp.Auth.ConfiguredUserAuthenticator(new()));
        await h.GreetAsync();
        // Not secure, so 538, but it must not be treated as an over-long line (RFC 4954 §4 allows 12288 octets).
        Assert.StartsWith("538 5.7.11", await h.Client.CommandAsync("AUTH PLAIN " + new string('A', 2000)));
    }

    [Fact]
    public async Task Overlong_text_line_rejects_the_message_after_the_end_of_data()
    {
        await using var h = SessionHarness.Start();
        await h.OpenTransactionAsync();
        await h.Client.CommandAsync("DATA");
        await h.Client.SendAsync("Subject: x\r\n\r\n" + new string('y', 1200) + "\r\n.\r\n");
        Assert.Equal("500 5.5.2 Line too long in message text", await h.Client.ReadReplyAsync());
        Assert.Empty(h.Spool.Accepted);
        Assert.Equal("250 2.0.0 Ok", await h.Client.CommandAsync("NOOP"));
    }

    [Theory]
    [InlineData("bare LF\nin the middle\r\n")]
    [InlineData("bare CR\rin the middle\r\n")]
    public async Task Bare_cr_or_lf_in_data_is_550_5_6_11(string body)
    {
        await using var h = SessionHarness.Start();
        await h.OpenTransactionAsync();
        await h.Client.CommandAsync("DATA");
        await h.Client.SendAsync("Subject: x\r\n\r\n" + body + ".\r\n");
        Assert.Equal("550 5.6.11 Message contains bare <CR> or <LF>", await h.Client.ReadReplyAsync());
        Assert.Empty(h.Spool.Accepted);
    }

    [Theory]
    [InlineData("\n.\n")]
    [InlineData("\r.\r")]
    [InlineData("\n.\r\n")]
    [InlineData("\r\n.\n")]
    public async Task Smuggled_end_of_data_does_not_end_data(string fakeEnd)
    {
        await using var h = SessionHarness.Start();
        await h.OpenTransactionAsync();
        await h.Client.CommandAsync("DATA");
        // If the fake terminator ended DATA, the smuggled transaction would be queued as a second message.
        await h.Client.SendAsync("Subject: first\r\n\r\nhello" + fakeEnd +
            "MAIL FROM:<evil@example.com>\r\nRCPT TO:<victim@example.net>\r\nDATA\r\nSubject: smuggled\r\n\r\nspoof\r\n.\r\n");
        Assert.Equal("550 5.6.11 Message contains bare <CR> or <LF>", await h.Client.ReadReplyAsync());
        Assert.Equal("250 2.0.0 Ok", await h.Client.CommandAsync("NOOP"));
        Assert.Empty(h.Spool.Accepted);
    }

    [Fact]
    public async Task Nul_in_a_command_is_500_5_5_2()
    {
        await using var h = SessionHarness.Start();
        await h.GreetAsync();
        Assert.Equal("500 5.5.2 NUL character not allowed in commands", await h.Client.CommandAsync("MAIL FROM:<a\0@example.com>"));
    }

    [Fact]
    public async Task Bare_lf_command_is_500_5_5_2()
    {
        await using var h = SessionHarness.Start();
        await h.GreetAsync();
        await h.Client.SendAsync("NOOP\n");
        Assert.Equal("500 5.5.2 Commands must end with <CR><LF>", await h.Client.ReadReplyAsync());
    }

    [Fact]
    public async Task Eight_bit_sender_without_smtputf8_is_553_5_6_7()
    {
        await using var h = SessionHarness.Start();
        await h.GreetAsync();
        Assert.StartsWith("553 5.6.7", await h.Client.CommandAsync("MAIL FROM:<jörg@example.com>"));
    }

    [Fact]
    public async Task Eight_bit_recipient_in_an_ascii_transaction_is_553_5_6_7()
    {
        await using var h = SessionHarness.Start();
        await h.OpenTransactionAsync();
        Assert.StartsWith("553 5.6.7", await h.Client.CommandAsync("RCPT TO:<jörg@example.com>"));
    }

    [Fact]
    public async Task Eight_bit_in_other_commands_is_500_5_5_2()
    {
        await using var h = SessionHarness.Start();
        await h.GreetAsync();
        Assert.Equal("500 5.5.2 8-bit characters not allowed in this command", await h.Client.CommandAsync("NOOP ünïcode"));
        Assert.StartsWith("500 5.5.2", await h.Client.CommandAsync("EHLO hôst"));
    }

    [Fact]
    public async Task Invalid_utf8_is_refused_even_with_smtputf8()
    {
        await using var h = SessionHarness.Start();
        await h.GreetAsync();
        await h.Client.SendBytesAsync([.. "MAIL FROM:<a"u8, 0xC3, 0x28, .. "@example.com> SMTPUTF8\r\n"u8]);
        Assert.StartsWith("553 5.6.7", await h.Client.ReadReplyAsync());
    }

    [Fact]
    public async Task Bad_address_syntax_is_501()
    {
        await using var h = SessionHarness.Start();
        await h.GreetAsync();
        Assert.StartsWith("501 5.1.7", await h.Client.CommandAsync("MAIL FROM:<not an address>"));
        await h.Client.CommandAsync("MAIL FROM:<a@example.com>");
        Assert.StartsWith("501 5.1.3", await h.Client.CommandAsync("RCPT TO:<b@@example.net>"));
        Assert.StartsWith("501 5.1.3", await h.Client.CommandAsync("RCPT TO:<>"));
        Assert.StartsWith("555 5.5.4", await h.Client.CommandAsync("RCPT TO:<b@example.net> FOO=BAR"));
        Assert.StartsWith("501 5.5.4", await h.Client.CommandAsync("RCPT TO:<b@example.net> NOTIFY=NEVER,FAILURE"));
    }

    [Fact]
    public async Task Size_parameter_over_the_limit_is_552_5_3_4()
    {
        await using var h = SessionHarness.Start(o => o.MaxMessageSize = 1000);
        await h.GreetAsync();
        Assert.StartsWith("552 5.3.4", await h.Client.CommandAsync("MAIL FROM:<a@example.com> SIZE=1001"));
        Assert.StartsWith("503 5.5.1", await h.Client.CommandAsync("RCPT TO:<b@example.net>"));
    }

    [Fact]
    public async Task Body_over_the_limit_without_size_is_read_to_the_end_then_552()
    {
        await using var h = SessionHarness.Start(o => o.MaxMessageSize = 1000);
        await h.OpenTransactionAsync();
        await h.Client.CommandAsync("DATA");
        var line = new string('z', 98) + "\r\n";
        for (int i = 0; i < 30; i++) await h.Client.SendAsync(line);
        await h.Client.SendAsync(".\r\n");
        Assert.StartsWith("552 5.3.4", await h.Client.ReadReplyAsync());
        Assert.Equal("250 2.0.0 Ok", await h.Client.CommandAsync("NOOP"));
        Assert.Empty(h.Spool.Accepted);
    }

    [Fact]
    public async Task Too_many_recipients_is_452_4_5_3_and_the_rest_are_kept()
    {
        await using var h = SessionHarness.Start(o => o.MaxRecipients = 2);
        await h.GreetAsync();
        await h.Client.CommandAsync("MAIL FROM:<a@example.com>");
        Assert.StartsWith("250", await h.Client.CommandAsync("RCPT TO:<r1@example.net>"));
        Assert.StartsWith("250", await h.Client.CommandAsync("RCPT TO:<r2@example.net>"));
        Assert.Equal("452 4.5.3 Too many recipients", await h.Client.CommandAsync("RCPT TO:<r3@example.net>"));
        await h.Client.CommandAsync("DATA");
        await h.Client.SendAsync("x\r\n.\r\n");
        Assert.StartsWith("250", await h.Client.ReadReplyAsync());
        Assert.Equal(2, h.Spool.Single().Recipients.Count);
    }

    [Fact]
    public async Task Early_talker_before_the_greeting_is_554_5_5_0()
    {
        await using var h = SessionHarness.Start(o => o.GreetingDelay = TimeSpan.FromMilliseconds(300));
        await h.Client.SendAsync("EHLO impatient\r\n");
        Assert.Equal("554 5.5.0 Protocol error: client sent data before the greeting", await h.Client.ReadReplyAsync());
        Assert.True(await h.Client.IsClosedAsync());
    }

    [Fact]
    public async Task Patient_client_passes_the_greeting_delay()
    {
        await using var h = SessionHarness.Start(o => o.GreetingDelay = TimeSpan.FromMilliseconds(200));
        Assert.StartsWith("250-", await h.GreetAsync());
    }

    [Fact]
    public async Task Body_sent_before_354_is_refused_and_the_connection_closed()
    {
        await using var h = SessionHarness.Start();
        await h.GreetAsync();
        await h.Client.SendAsync("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.net>\r\nDATA\r\nSubject: eager\r\n\r\nx\r\n.\r\n");
        Assert.StartsWith("250", await h.Client.ReadReplyAsync());
        Assert.StartsWith("250", await h.Client.ReadReplyAsync());
        Assert.StartsWith("554 5.5.0", await h.Client.ReadReplyAsync());
        Assert.True(await h.Client.IsClosedAsync());
        Assert.Empty(h.Spool.Accepted);
    }

    [Fact]
    public async Task Disconnect_mid_data_stores_nothing()
    {
        await using var h = SessionHarness.Start();
        await h.OpenTransactionAsync();
        await h.Client.CommandAsync("DATA");
        await h.Client.SendAsync("Subject: cut off\r\n\r\npartial");
        await h.Transport.ClientOutput.CompleteAsync();
        Assert.True(await h.EndsWithinAsync(TimeSpan.FromSeconds(5)));
        Assert.Empty(h.Spool.Accepted);
    }

    [Fact]
    public async Task Binarymime_is_refused_because_it_cannot_be_relayed_with_DATA()
    {
        await using var h = SessionHarness.Start();
        await h.GreetAsync();
        Assert.StartsWith("555 5.5.4", await h.Client.CommandAsync("MAIL FROM:<a@example.com> BODY=BINARYMIME"));
    }

    [Theory]
    [InlineData("Subject: x\r\n\r\nsmuggled\n.\nMAIL FROM:<evil@example.com>\r\n")]
    [InlineData("Subject: x\r\n\r\nbare\rcarriage return\r\n")]
    [InlineData("Subject: x\r\n\r\nends with CR\r")]
    public async Task Bdat_content_with_bare_line_endings_is_refused_so_it_is_never_relayed_over_DATA(string text)
    {
        var content = System.Text.Encoding.ASCII.GetBytes(text);
        await using var h = SessionHarness.Start();
        await h.OpenTransactionAsync();
        var half = content.Length / 2;
        await h.Client.SendBytesAsync([.. System.Text.Encoding.ASCII.GetBytes($"BDAT {half}\r\n"), .. content[..half]]);
        Assert.StartsWith("250 2.0.0", await h.Client.ReadReplyAsync());
        await h.Client.SendBytesAsync([.. System.Text.Encoding.ASCII.GetBytes($"BDAT {content.Length - half} LAST\r\n"), .. content[half..]]);
        Assert.StartsWith("550 5.6.11", await h.Client.ReadReplyAsync());
        Assert.Empty(h.Spool.Accepted);
        // The transaction is over; the session goes on.
        Assert.StartsWith("250", await h.Client.CommandAsync("NOOP"));
    }

    [Fact]
    public async Task Data_with_an_argument_is_501()
    {
        await using var h = SessionHarness.Start();
        await h.OpenTransactionAsync();
        Assert.StartsWith("501 5.5.4", await h.Client.CommandAsync("DATA now"));
    }

    [Fact]
    public async Task Malformed_ehlo_is_501()
    {
        await using var h = SessionHarness.Start();
        await h.Client.ReadReplyAsync();
        Assert.StartsWith("501 5.5.4", await h.Client.CommandAsync("EHLO"));
    }
}
