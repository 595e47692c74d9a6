using System.Text;
using MtaCluster.Mail;
using MtaCluster.Smtp.Client.Connection;
using MtaCluster.Smtp.Client.Tests.Infrastructure;
using MtaCluster.Smtp.Client.Transactions;
using MtaCluster.Testing;

namespace MtaCluster.Smtp.Client.Tests.Transactions;

/// <summary>What the client does with each EHLO extension, seen from a scripted peer.</summary>
public class ExtensionTests
{
    [Fact]
    public async Task With_pipelining_mail_rcpts_and_data_arrive_in_one_read()
    {
        await using var peer = new ScriptedPeer(new SmtpDialogue());
        byte[] content = TestOptions.Message("pipe");
        await using (SmtpClientConnection connection = await TestOptions.ConnectAsync(peer.EndPoint))
        {
            TransactionResult result = await connection.SendAsync(TestOptions.Transaction(content, "a@example.test", "b@example.test", "c@example.test"));
            Assert.Equal(3, result.Count(RecipientStatus.Delivered));
        }

        await peer.FinishAsync();
        string group = Assert.Single(peer.Connections[0].Reads, r => r.Contains("MAIL FROM", StringComparison.Ordinal));
        Assert.Equal(
            $"MAIL FROM:<sender@origin.test> SIZE={content.Length}\r\nRCPT TO:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nRCPT TO:<c@example.test>\r\nDATA\r\n",
            group);
    }

    [Fact]
    public async Task Without_pipelining_each_command_waits_for_its_reply()
    {
        await using var peer = new ScriptedPeer(new SmtpDialogue { Keywords = new[] { "8BITMIME", "ENHANCEDSTATUSCODES" } });
        await using (SmtpClientConnection connection = await TestOptions.ConnectAsync(peer.EndPoint))
        {
            TransactionResult result = await connection.SendAsync(TestOptions.Transaction(TestOptions.Message("nopipe"), "a@example.test", "b@example.test"));
            Assert.Equal(2, result.Count(RecipientStatus.Delivered));
        }

        await peer.FinishAsync();
        List<string> reads = peer.Connections[0].Reads;
        Assert.Contains("MAIL FROM:<sender@origin.test>\r\n", reads);
        Assert.Contains("RCPT TO:<a@example.test>\r\n", reads);
        Assert.Contains("RCPT TO:<b@example.test>\r\n", reads);
        Assert.Contains("DATA\r\n", reads);
    }

    [Fact]
    public async Task Lines_starting_with_a_dot_are_doubled_and_a_missing_final_crlf_is_added()
    {
        var dialogue = new SmtpDialogue();
        await using var peer = new ScriptedPeer(dialogue);
        await using (SmtpClientConnection connection = await TestOptions.ConnectAsync(peer.EndPoint))
        {
            byte[] content = Encoding.ASCII.GetBytes(".first\r\nmiddle\r\n..two\r\n.\r\n\r\n.\r\nlast.line\r\n.");
            TransactionResult result = await connection.SendAsync(TestOptions.Transaction(content, "a@example.test"));
            Assert.Equal(RecipientStatus.Delivered, result.Recipients[0].Status);

            byte[] ends = Encoding.ASCII.GetBytes("ends well\r\n");
            Assert.Equal(RecipientStatus.Delivered, (await connection.SendAsync(TestOptions.Transaction(ends, "a@example.test"))).Recipients[0].Status);
        }

        await peer.FinishAsync();
        Assert.Equal("..first\r\nmiddle\r\n...two\r\n..\r\n\r\n..\r\nlast.line\r\n..\r\n", Encoding.ASCII.GetString(dialogue.Messages[0]));
        Assert.Equal("ends well\r\n", Encoding.ASCII.GetString(dialogue.Messages[1]));
    }

    [Fact]
    public async Task Dot_stuffing_survives_flushes_in_the_middle_of_a_large_message()
    {
        var dialogue = new SmtpDialogue();
        await using var peer = new ScriptedPeer(dialogue);
        var body = new StringBuilder();
        for (int i = 0; i < 20000; i++)
        {
            body.Append(i % 7 == 0 ? ".dotted line " : "plain line ").Append(i).Append("\r\n");
        }

        byte[] content = Encoding.ASCII.GetBytes(body.ToString());
        await using (SmtpClientConnection connection = await TestOptions.ConnectAsync(peer.EndPoint))
        {
            Assert.Equal(RecipientStatus.Delivered, (await connection.SendAsync(TestOptions.Transaction(content, "a@example.test"))).Recipients[0].Status);
        }

        await peer.FinishAsync();
        string expected = body.ToString().Replace("\r\n.", "\r\n..", StringComparison.Ordinal);
        expected = expected.StartsWith('.') ? "." + expected : expected;
        Assert.Equal(expected, Encoding.ASCII.GetString(dialogue.Messages[0]));
    }

    [Fact]
    public async Task A_message_larger_than_the_servers_size_fails_locally_with_552_and_no_mail_is_sent()
    {
        await using var peer = new ScriptedPeer(new SmtpDialogue { Keywords = new[] { "PIPELINING", "SIZE 1000", "ENHANCEDSTATUSCODES" } });
        await using (SmtpClientConnection connection = await TestOptions.ConnectAsync(peer.EndPoint))
        {
            TransactionResult result = await connection.SendAsync(TestOptions.Transaction(TestOptions.Message("big", new string('x', 5000)), "a@example.test", "b@example.test"));

            Assert.All(result.Recipients, r => Assert.Equal(RecipientStatus.PermanentFailure, r.Status));
            Assert.Equal(552, result.Recipients[0].Reply.Code);
            Assert.Equal("5.3.4", result.Recipients[0].Reply.EnhancedCode?.ToString());
            Assert.True(result.Recipients[0].Reply.IsLocal);
            Assert.Null(result.MailReply);

            TransactionResult small = await connection.SendAsync(TestOptions.Transaction(TestOptions.Message("small"), "a@example.test"));
            Assert.Equal(RecipientStatus.Delivered, small.Recipients[0].Status);
        }

        await peer.FinishAsync();
        Assert.Single(peer.Connections[0].Lines, l => l.StartsWith("MAIL", StringComparison.Ordinal));
        Assert.Contains(peer.Connections[0].Lines, l => l.StartsWith("MAIL", StringComparison.Ordinal) && l.Contains(" SIZE=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_message_needing_smtputf8_fails_with_5_6_7_where_it_is_not_offered()
    {
        await using var peer = new ScriptedPeer(new SmtpDialogue());
        await using (SmtpClientConnection connection = await TestOptions.ConnectAsync(peer.EndPoint))
        {
            TransactionResult byAddress = await connection.SendAsync(TestOptions.Transaction(TestOptions.Message("utf8"), "用户@example.test"));
            var byHeaders = new MessageTransaction("sender@origin.test", new[] { new TransactionRecipient("a@example.test") }, TestOptions.Message("Grüße")) { RequiresSmtpUtf8 = true };
            TransactionResult byFlag = await connection.SendAsync(byHeaders);

            Assert.Equal(RecipientStatus.PermanentFailure, byAddress.Recipients[0].Status);
            Assert.Equal("5.6.7", byAddress.Recipients[0].Reply.EnhancedCode?.ToString());
            Assert.Equal("5.6.7", byFlag.Recipients[0].Reply.EnhancedCode?.ToString());
        }

        await peer.FinishAsync();
        Assert.DoesNotContain(peer.Connections[0].Lines, l => l.StartsWith("MAIL", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Smtputf8_is_declared_on_mail_where_offered()
    {
        await using var peer = new ScriptedPeer(new SmtpDialogue { Keywords = new[] { "PIPELINING", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES" } });
        await using (SmtpClientConnection connection = await TestOptions.ConnectAsync(peer.EndPoint))
        {
            TransactionResult result = await connection.SendAsync(TestOptions.Transaction(TestOptions.Message("utf8"), "用户@example.test"));
            Assert.Equal(RecipientStatus.Delivered, result.Recipients[0].Status);
        }

        await peer.FinishAsync();
        Assert.Contains("MAIL FROM:<sender@origin.test> SMTPUTF8", peer.Connections[0].Lines);
        Assert.Contains("RCPT TO:<用户@example.test>", peer.Connections[0].Lines);
    }

    [Fact]
    public async Task A_binarymime_body_fails_locally_with_5_6_3_since_data_cannot_carry_it()
    {
        await using var peer = new ScriptedPeer(new SmtpDialogue());
        var tx = new MessageTransaction("sender@origin.test", new[] { new TransactionRecipient("a@example.test") }, TestOptions.Message("binary")) { BodyType = MessageBodyType.BinaryMime };

        await using (SmtpClientConnection connection = await TestOptions.ConnectAsync(peer.EndPoint))
        {
            TransactionResult refused = await connection.SendAsync(tx);
            Assert.Equal(RecipientStatus.PermanentFailure, refused.Recipients[0].Status);
            Assert.Equal("5.6.3", refused.Recipients[0].Reply.EnhancedCode?.ToString());
            Assert.True(refused.Recipients[0].Reply.IsLocal);
        }

        await peer.FinishAsync();
        Assert.DoesNotContain(peer.Connections[0].Lines, l => l.StartsWith("MAIL", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_8bit_body_fails_with_5_6_3_where_8bitmime_is_not_offered_and_is_declared_where_it_is()
    {
        await using var without = new ScriptedPeer(new SmtpDialogue { Keywords = new[] { "PIPELINING", "ENHANCEDSTATUSCODES" } });
        await using var with = new ScriptedPeer(new SmtpDialogue());
        var tx = new MessageTransaction("sender@origin.test", new[] { new TransactionRecipient("a@example.test") }, TestOptions.Message("8bit", "Grüße\r\n")) { BodyType = MessageBodyType.EightBitMime };

        await using (SmtpClientConnection connection = await TestOptions.ConnectAsync(without.EndPoint))
        {
            TransactionResult refused = await connection.SendAsync(tx);
            Assert.Equal(RecipientStatus.PermanentFailure, refused.Recipients[0].Status);
            Assert.Equal("5.6.3", refused.Recipients[0].Reply.EnhancedCode?.ToString());
        }

        await using (SmtpClientConnection connection = await TestOptions.ConnectAsync(with.EndPoint))
        {
            Assert.Equal(RecipientStatus.Delivered, (await connection.SendAsync(tx)).Recipients[0].Status);
        }

        await with.FinishAsync();
        Assert.Contains(with.Connections[0].Lines, l => l.StartsWith("MAIL FROM:<sender@origin.test> BODY=8BITMIME", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Dsn_parameters_go_only_to_servers_offering_dsn()
    {
        var tx = new MessageTransaction("sender@origin.test", new[]
        {
            new TransactionRecipient("a@example.test") { Notify = DsnNotify.Success | DsnNotify.Failure, OriginalRecipient = "orig+1@origin.test" },
        }, TestOptions.Message("dsn"))
        {
            Return = DsnReturn.Headers,
            EnvelopeId = "QQ314159",
        };
        await using var with = new ScriptedPeer(new SmtpDialogue());
        await using var without = new ScriptedPeer(new SmtpDialogue { Keywords = new[] { "PIPELINING", "ENHANCEDSTATUSCODES" } });

        await using (SmtpClientConnection connection = await TestOptions.ConnectAsync(with.EndPoint))
        {
            Assert.True((await connection.SendAsync(tx)).DsnParametersSent);
        }

        await using (SmtpClientConnection connection = await TestOptions.ConnectAsync(without.EndPoint))
        {
            Assert.False((await connection.SendAsync(tx)).DsnParametersSent);
        }

        await with.FinishAsync();
        await without.FinishAsync();
        Assert.Contains($"MAIL FROM:<sender@origin.test> SIZE={tx.Content.Length} RET=HDRS ENVID=QQ314159", with.Connections[0].Lines);
        Assert.Contains("RCPT TO:<a@example.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;orig+2B1@origin.test", with.Connections[0].Lines);
        Assert.Contains("MAIL FROM:<sender@origin.test>", without.Connections[0].Lines);
        Assert.Contains("RCPT TO:<a@example.test>", without.Connections[0].Lines);
    }
}
