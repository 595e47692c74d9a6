using System.Text;
using MtaCluster.Smtp.Client.Connection;
using MtaCluster.Smtp.Client.Tests.Infrastructure;
using MtaCluster.Smtp.Client.Transactions;
using MtaCluster.Testing;

namespace MtaCluster.Smtp.Client.Tests.Transactions;

/// <summary>
/// Whatever the spool holds, the data we send ends only at our own CRLF "." CRLF: look-alikes are
/// sent as stuffed CRLF lines, and content with a NUL is not sent at all.
/// </summary>
public class EndOfDataTests
{
    private const string Smuggled = "MAIL FROM:<evil@attacker.test>\r\nRCPT TO:<victim@example.test>\r\nDATA\r\n";

    private static readonly string[] LookAlikes = ["\n.\n", "\r.\r", "\r\n.\n", "\n.\r\n", "\r.\r\n", "\r\n.\r", "\r\r\n.\r\r\n"];

    [Fact]
    public async Task Every_look_alike_reaches_the_receiver_as_a_stuffed_crlf_line_inside_one_message()
    {
        var dialogue = new SmtpDialogue();
        await using var peer = new ScriptedPeer(dialogue);
        await using SmtpClientConnection connection = await TestOptions.ConnectAsync(peer.EndPoint);
        var content = new StringBuilder("Subject: look-alikes\r\n\r\n");
        foreach (string lookAlike in LookAlikes)
        {
            content.Append("before").Append(lookAlike).Append(Smuggled);
        }

        content.Append("the end");
        TransactionResult result = await connection.SendAsync(TestOptions.Transaction(Encoding.ASCII.GetBytes(content.ToString()), "a@example.test"));

        Assert.Equal(RecipientStatus.Delivered, Assert.Single(result.Recipients).Status);
        string wire = Encoding.ASCII.GetString(Assert.Single(dialogue.Messages));
        string line = "before\r\n..\r\n" + Smuggled;
        string crcrlf = "before\r\n\r\n..\r\n\r\n" + Smuggled;
        string expectedWire = "Subject: look-alikes\r\n\r\n" + string.Concat(Enumerable.Repeat(line, LookAlikes.Length - 1)) + crcrlf + "the end\r\n";
        Assert.Equal(expectedWire, wire);
        Assert.DoesNotContain(peer.Connections.Single().Lines, l => l.StartsWith("MAIL FROM:<evil", StringComparison.Ordinal));
        Assert.True(connection.IsUsable);
    }

    [Fact]
    public async Task A_transaction_its_sender_gives_up_before_the_dot_delivers_nothing_and_comes_back_to_try_again()
    {
        var dialogue = new SmtpDialogue();
        await using var peer = new ScriptedPeer(dialogue);
        byte[] content = TestOptions.Message("gate", "held at the dot\r\n");

        await using (SmtpClientConnection connection = await TestOptions.ConnectAsync(peer.EndPoint))
        {
            var asked = 0;
            var go = TestOptions.Transaction(content, "a@example.test");
            var sent = await connection.SendAsync(new MessageTransaction(go.ReversePath, go.Recipients, go.Content)
            {
                BeforeEndOfData = _ => { asked++; return Task.FromResult(true); },
            });
            Assert.Equal((1, RecipientStatus.Delivered), (asked, Assert.Single(sent.Recipients).Status));

            var abandoned = await connection.SendAsync(new MessageTransaction(go.ReversePath, [.. go.Recipients, new TransactionRecipient("b@example.test")], go.Content)
            {
                BeforeEndOfData = _ => Task.FromResult(false),
            });
            Assert.All(abandoned.Recipients, r =>
            {
                Assert.Equal(RecipientStatus.TryAgain, r.Status);
                Assert.True(r.Reply.IsLocal);
                Assert.Equal("4.4.2", r.Reply.EnhancedCode?.ToString());
            });
            Assert.Equal(SmtpFailureKind.Abandoned, abandoned.ConnectionFailure?.Kind);
            Assert.False(connection.IsUsable);
        }

        // The receiver took the first message only (it had it before its 250): the second's data never ended.
        Assert.Equal(StuffedCopy(content), Assert.Single(dialogue.Messages));
        Assert.Single(peer.Connections);
    }

    [Fact]
    public async Task Content_with_a_nul_anywhere_is_refused_locally_with_554_5_6_0_before_mail()
    {
        var dialogue = new SmtpDialogue();
        await using var peer = new ScriptedPeer(dialogue);
        await using SmtpClientConnection connection = await TestOptions.ConnectAsync(peer.EndPoint);
        byte[] clean = TestOptions.Message("nul", "line\r\n.\r\nmore\r\n");
        for (int at = 0; at <= clean.Length; at++)
        {
            byte[] poisoned = [.. clean[..at], 0, .. clean[at..]];
            TransactionResult refused = await connection.SendAsync(TestOptions.Transaction(poisoned, "a@example.test", "b@example.test"));

            Assert.All(refused.Recipients, r =>
            {
                Assert.Equal(RecipientStatus.PermanentFailure, r.Status);
                Assert.Equal(554, r.Reply.Code);
                Assert.Equal("5.6.0", r.Reply.EnhancedCode?.ToString());
                Assert.True(r.Reply.IsLocal);
            });
            Assert.Null(refused.MailReply);
        }

        TransactionResult delivered = await connection.SendAsync(TestOptions.Transaction(clean, "a@example.test"));
        Assert.Equal(RecipientStatus.Delivered, Assert.Single(delivered.Recipients).Status);
        Assert.Equal(1, connection.TransactionCount);
        Assert.Equal(StuffedCopy(clean), Assert.Single(dialogue.Messages));
        Assert.Single(peer.Connections.Single().Lines, l => l.StartsWith("MAIL FROM:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Smtp_sink_receives_look_alikes_as_one_whole_message()
    {
        await using SmtpSink sink = await SmtpSink.StartAsync(dump: true);
        var content = new StringBuilder("Subject: look-alikes\r\n\r\n");
        foreach (string lookAlike in LookAlikes)
        {
            content.Append("before").Append(lookAlike).Append(Smuggled);
        }

        content.Append("the end\r\n");
        await using (SmtpClientConnection connection = await TestOptions.ConnectAsync(sink.EndPoint))
        {
            TransactionResult result = await connection.SendAsync(TestOptions.Transaction(Encoding.ASCII.GetBytes(content.ToString()), "a@example.test"));
            Assert.Equal(RecipientStatus.Delivered, Assert.Single(result.Recipients).Status);
        }

        // smtp-sink writes LF line ends and undoes the stuffing: each look-alike is a lone "." line
        // inside the one message, followed by the text that would have been smuggled.
        string dump = Assert.Single(await sink.WaitForDumpsAsync(1));
        string smuggled = Smuggled.Replace("\r\n", "\n", StringComparison.Ordinal);
        Assert.Equal(LookAlikes.Length - 1, CountOf(dump, "before\n.\n" + smuggled));
        Assert.Equal(1, CountOf(dump, "before\n\n.\n\n" + smuggled));
        Assert.Contains(smuggled + "the end\n", dump, StringComparison.Ordinal);
        Assert.DoesNotContain("X-Mail-Args: <evil@attacker.test>", dump, StringComparison.Ordinal);
    }

    private static byte[] StuffedCopy(byte[] clean) => Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(clean).Replace("\r\n.", "\r\n..", StringComparison.Ordinal));

    private static int CountOf(string text, string part)
    {
        int count = 0;
        for (int at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + 1, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
