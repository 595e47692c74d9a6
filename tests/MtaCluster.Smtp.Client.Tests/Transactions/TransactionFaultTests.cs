using System.Text;
using MtaCluster.Smtp.Client.Connection;
using MtaCluster.Smtp.Client.Tests.Infrastructure;
using MtaCluster.Smtp.Client.Transactions;
using MtaCluster.Testing;

namespace MtaCluster.Smtp.Client.Tests.Transactions;

/// <summary>Per-recipient outcomes and broken transactions, against a scripted peer.</summary>
public class TransactionFaultTests
{
    [Fact]
    public async Task A_451_on_rcpt_is_transient_for_that_recipient_only()
    {
        var dialogue = new SmtpDialogue { OnCommand = line => line.StartsWith("RCPT TO:<grey@", StringComparison.Ordinal) ? "451 4.7.1 Greylisted, try again later\r\n" : null };
        await using var peer = new ScriptedPeer(dialogue);
        await using SmtpClientConnection connection = await TestOptions.ConnectAsync(peer.EndPoint);

        TransactionResult result = await connection.SendAsync(TestOptions.Transaction(TestOptions.Message("grey"), "ok@example.test", "grey@example.test"));

        Assert.Equal(RecipientStatus.Delivered, result.Recipients[0].Status);
        Assert.Equal(RecipientStatus.TransientFailure, result.Recipients[1].Status);
        Assert.Equal("4.7.1", result.Recipients[1].Reply.EnhancedCode?.ToString());
        Assert.Same(result.Recipients[1].Reply, result.Recipients[1].RcptReply);
        Assert.Equal(250, result.Recipients[0].RcptReply!.Code);
        Assert.Equal("queued as 4711", result.Recipients[0].Reply.Text[4..]);
        Assert.True(connection.IsUsable);
    }

    [Fact]
    public async Task A_550_on_one_of_several_recipients_is_permanent_for_it_and_the_rest_are_delivered()
    {
        var dialogue = new SmtpDialogue { OnCommand = line => line.StartsWith("RCPT TO:<nobody@", StringComparison.Ordinal) ? "550 5.1.1 <nobody@example.test>: Recipient address rejected: User unknown\r\n" : null };
        await using var peer = new ScriptedPeer(dialogue);
        await using SmtpClientConnection connection = await TestOptions.ConnectAsync(peer.EndPoint);

        TransactionResult result = await connection.SendAsync(TestOptions.Transaction(TestOptions.Message("550"), "a@example.test", "nobody@example.test", "c@example.test"));

        Assert.Equal(new[] { RecipientStatus.Delivered, RecipientStatus.PermanentFailure, RecipientStatus.Delivered }, result.Recipients.Select(r => r.Status));
        Assert.Equal("5.1.1", result.Recipients[1].Reply.EnhancedCode?.ToString());
        Assert.Same(result.DataReply, result.Recipients[0].Reply);
        Assert.Single(dialogue.Messages);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Too_many_recipients_452_leaves_the_rest_to_try_again(bool pipelining)
    {
        int rcpts = 0;
        var dialogue = new SmtpDialogue
        {
            Keywords = pipelining ? new[] { "PIPELINING", "ENHANCEDSTATUSCODES" } : new[] { "ENHANCEDSTATUSCODES" },
            OnCommand = line => line.StartsWith("RCPT", StringComparison.Ordinal) && ++rcpts > 2 ? "452 4.5.3 Error: too many recipients\r\n" : null,
        };
        await using var peer = new ScriptedPeer(dialogue);
        await using SmtpClientConnection connection = await TestOptions.ConnectAsync(peer.EndPoint);

        TransactionResult result = await connection.SendAsync(TestOptions.Transaction(TestOptions.Message("452"), "a@example.test", "b@example.test", "c@example.test", "d@example.test", "e@example.test"));

        Assert.Equal(new[] { RecipientStatus.Delivered, RecipientStatus.Delivered, RecipientStatus.TryAgain, RecipientStatus.TryAgain, RecipientStatus.TryAgain }, result.Recipients.Select(r => r.Status));
        Assert.Equal(0, result.Count(RecipientStatus.TransientFailure));
        Assert.Single(dialogue.Messages);

        // Without pipelining, no RCPT is sent after the server said it takes no more.
        await connection.QuitAsync();
        await peer.FinishAsync();
        Assert.Equal(pipelining ? 5 : 3, peer.Connections[0].Lines.Count(l => l.StartsWith("RCPT", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_452_to_the_first_recipient_is_a_temporary_failure_not_a_cue_to_send_again_at_once()
    {
        var dialogue = new SmtpDialogue
        {
            Keywords = new[] { "PIPELINING", "ENHANCEDSTATUSCODES" },
            OnCommand = line => line.StartsWith("RCPT", StringComparison.Ordinal) ? "452 4.5.3 Too many recipients today\r\n" : null,
        };
        await using var peer = new ScriptedPeer(dialogue);
        await using SmtpClientConnection connection = await TestOptions.ConnectAsync(peer.EndPoint);

        TransactionResult result = await connection.SendAsync(TestOptions.Transaction(TestOptions.Message("quota"), "a@example.test", "b@example.test"));

        Assert.All(result.Recipients, r => Assert.Equal(RecipientStatus.TransientFailure, r.Status));
        Assert.Equal("4.5.3", result.Recipients[0].Reply.EnhancedCode?.ToString());
        // With no recipient accepted, a pipelined DATA gets only the lone "." (RFC 2920 §3.1).
        Assert.All(dialogue.Messages, m => Assert.Empty(m));
    }

    [Fact]
    public async Task Our_own_recipient_limit_sends_the_first_ones_and_leaves_the_rest_to_try_again()
    {
        await using var peer = new ScriptedPeer(new SmtpDialogue());
        SmtpClientOptions options = TestOptions.Fast();
        options.MaxRecipientsPerTransaction = 2;
        await using SmtpClientConnection connection = await TestOptions.ConnectAsync(peer.EndPoint, options);

        TransactionResult result = await connection.SendAsync(TestOptions.Transaction(TestOptions.Message("limit"), "a@example.test", "b@example.test", "c@example.test"));

        Assert.Equal(new[] { RecipientStatus.Delivered, RecipientStatus.Delivered, RecipientStatus.TryAgain }, result.Recipients.Select(r => r.Status));
        Assert.Equal("4.5.3", result.Recipients[2].Reply.EnhancedCode?.ToString());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task When_no_recipient_is_accepted_no_data_is_sent_and_the_transaction_is_reset(bool pipelining)
    {
        var dialogue = new SmtpDialogue
        {
            Keywords = pipelining ? new[] { "PIPELINING", "ENHANCEDSTATUSCODES" } : new[] { "ENHANCEDSTATUSCODES" },
            OnCommand = line => line.StartsWith("RCPT", StringComparison.Ordinal) ? "550 5.1.1 User unknown\r\n"
                : line == "DATA" ? "554 5.5.1 Error: no valid recipients\r\n"
                : null,
        };
        await using var peer = new ScriptedPeer(dialogue);
        await using (SmtpClientConnection connection = await TestOptions.ConnectAsync(peer.EndPoint))
        {
            TransactionResult result = await connection.SendAsync(TestOptions.Transaction(TestOptions.Message("none"), "x@example.test", "y@example.test"));

            Assert.All(result.Recipients, r => Assert.Equal(RecipientStatus.PermanentFailure, r.Status));
            Assert.True(connection.IsUsable);
        }

        await peer.FinishAsync();
        List<string> lines = peer.Connections[0].Lines;
        Assert.Empty(dialogue.Messages);
        Assert.Equal(pipelining, lines.Contains("DATA"));
        Assert.Equal(new[] { "RSET", "QUIT" }, lines.TakeLast(2));
    }

    [Fact]
    public async Task A_354_to_a_pipelined_data_without_recipients_gets_a_lone_dot()
    {
        var dialogue = new SmtpDialogue { OnCommand = line => line.StartsWith("RCPT", StringComparison.Ordinal) ? "550 5.1.1 User unknown\r\n" : null };
        await using var peer = new ScriptedPeer(dialogue);
        await using (SmtpClientConnection connection = await TestOptions.ConnectAsync(peer.EndPoint))
        {
            TransactionResult result = await connection.SendAsync(TestOptions.Transaction(TestOptions.Message("dot"), "x@example.test"));
            Assert.Equal(RecipientStatus.PermanentFailure, result.Recipients[0].Status);
            Assert.True(connection.IsUsable);
        }

        await peer.FinishAsync();
        Assert.Empty(Assert.Single(dialogue.Messages));
    }

    [Fact]
    public async Task A_rejected_mail_from_decides_every_recipient()
    {
        var dialogue = new SmtpDialogue { OnCommand = line => line.StartsWith("MAIL", StringComparison.Ordinal) ? "553 5.7.1 Sender rejected\r\n" : line.StartsWith("RCPT", StringComparison.Ordinal) ? "503 5.5.1 need MAIL\r\n" : line == "DATA" ? "503 5.5.1 need RCPT\r\n" : null };
        await using var peer = new ScriptedPeer(dialogue);
        await using SmtpClientConnection connection = await TestOptions.ConnectAsync(peer.EndPoint);

        TransactionResult result = await connection.SendAsync(TestOptions.Transaction(TestOptions.Message("mail"), "a@example.test", "b@example.test"));

        Assert.All(result.Recipients, r => Assert.Equal(RecipientStatus.PermanentFailure, r.Status));
        Assert.All(result.Recipients, r => Assert.Same(result.MailReply, r.Reply));
        Assert.True(connection.IsUsable);
    }

    [Fact]
    public async Task A_connection_dropped_mid_data_is_transient_never_delivered()
    {
        var dialogue = new SmtpDialogue
        {
            OnData = async connection =>
            {
                await connection.ReadSomeAsync(1000);
                connection.Abort();
                return false;
            },
        };
        await using var peer = new ScriptedPeer(dialogue);
        await using SmtpClientConnection connection = await TestOptions.ConnectAsync(peer.EndPoint);

        byte[] big = TestOptions.Message("drop", string.Concat(Enumerable.Repeat("line of a long message body\r\n", 20000)));
        TransactionResult result = await connection.SendAsync(TestOptions.Transaction(big, "a@example.test", "b@example.test"));

        Assert.All(result.Recipients, r => Assert.Equal(RecipientStatus.TransientFailure, r.Status));
        Assert.Equal(SmtpFailureKind.ConnectionDropped, result.ConnectionFailure!.Kind);
        Assert.Equal("4.4.2", result.Recipients[0].Reply.EnhancedCode?.ToString());
        Assert.False(connection.IsUsable);
    }

    [Fact]
    public async Task A_final_reply_slower_than_its_timeout_is_a_transient_timeout()
    {
        var dialogue = new SmtpDialogue
        {
            AfterData = async connection =>
            {
                await Task.Delay(2500);
                await connection.SendAsync("250 2.0.0 Ok: too late\r\n");
            },
        };
        await using var peer = new ScriptedPeer(dialogue);
        await using SmtpClientConnection connection = await TestOptions.ConnectAsync(peer.EndPoint, TestOptions.Fast(seconds: 1));

        TransactionResult result = await connection.SendAsync(TestOptions.Transaction(TestOptions.Message("slow"), "a@example.test"));

        Assert.Equal(RecipientStatus.TransientFailure, result.Recipients[0].Status);
        Assert.Equal(SmtpFailureKind.Timeout, result.ConnectionFailure!.Kind);
        Assert.False(connection.IsUsable);
    }

    [Fact]
    public async Task A_421_to_mail_closes_the_connection_and_defers_everyone()
    {
        var dialogue = new SmtpDialogue { OnCommand = line => line.StartsWith("MAIL", StringComparison.Ordinal) ? "421 4.3.2 Shutting down\r\n" : null };
        await using var peer = new ScriptedPeer(dialogue);
        await using SmtpClientConnection connection = await TestOptions.ConnectAsync(peer.EndPoint);

        TransactionResult result = await connection.SendAsync(TestOptions.Transaction(TestOptions.Message("421"), "a@example.test", "b@example.test"));

        Assert.All(result.Recipients, r => Assert.Equal(RecipientStatus.TransientFailure, r.Status));
        Assert.Equal(SmtpFailureKind.ServiceClosing, result.ConnectionFailure!.Kind);
        Assert.Equal(421, result.Recipients[0].Reply.Code);
        Assert.False(connection.IsUsable);

        TransactionResult after = await connection.SendAsync(TestOptions.Transaction(TestOptions.Message("after"), "a@example.test"));
        Assert.Equal(RecipientStatus.TryAgain, after.Recipients[0].Status);
        Assert.Equal(SmtpFailureKind.NotUsable, after.ConnectionFailure!.Kind);
    }

    [Fact]
    public async Task A_reused_connection_that_went_stale_reports_try_again()
    {
        var dialogue = new SmtpDialogue { AfterData = async connection => { await connection.SendAsync("250 2.0.0 Ok\r\n"); connection.Abort(); } };
        await using var peer = new ScriptedPeer(dialogue);
        await using SmtpClientConnection connection = await TestOptions.ConnectAsync(peer.EndPoint);

        TransactionResult first = await connection.SendAsync(TestOptions.Transaction(TestOptions.Message("first"), "a@example.test"));
        await Task.Delay(200);
        TransactionResult second = await connection.SendAsync(TestOptions.Transaction(TestOptions.Message("second"), "a@example.test"));

        Assert.Equal(RecipientStatus.Delivered, first.Recipients[0].Status);
        Assert.Equal(RecipientStatus.TryAgain, second.Recipients[0].Status);
        Assert.NotNull(second.ConnectionFailure);
        Assert.False(connection.IsUsable);
    }

    [Fact]
    public async Task Transactions_follow_each_other_on_one_connection_without_rset()
    {
        var dialogue = new SmtpDialogue();
        await using var peer = new ScriptedPeer(dialogue);
        await using (SmtpClientConnection connection = await TestOptions.ConnectAsync(peer.EndPoint))
        {
            for (int i = 0; i < 3; i++)
            {
                TransactionResult result = await connection.SendAsync(TestOptions.Transaction(TestOptions.Message($"m{i}"), "a@example.test"));
                Assert.Equal(RecipientStatus.Delivered, result.Recipients[0].Status);
            }
        }

        await peer.FinishAsync();
        Assert.Equal(3, dialogue.Messages.Count);
        Assert.DoesNotContain("RSET", peer.Connections[0].Lines);
        Assert.Equal("QUIT", peer.Connections[0].Lines[^1]);
    }

    [Fact]
    public async Task The_callers_cancellation_mid_transaction_throws_and_retires_the_connection()
    {
        var dialogue = new SmtpDialogue { AfterData = async connection => { await Task.Delay(3000); await connection.SendAsync("250 late\r\n"); } };
        await using var peer = new ScriptedPeer(dialogue);
        await using SmtpClientConnection connection = await TestOptions.ConnectAsync(peer.EndPoint, TestOptions.Fast(seconds: 10));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => connection.SendAsync(TestOptions.Transaction(TestOptions.Message("cancel"), "a@example.test"), cancel.Token));

        Assert.False(connection.IsUsable);
    }

    [Fact]
    public async Task Two_operations_at_once_is_a_usage_error()
    {
        var dialogue = new SmtpDialogue { AfterData = async connection => { await Task.Delay(500); await connection.SendAsync("250 Ok\r\n"); } };
        await using var peer = new ScriptedPeer(dialogue);
        await using SmtpClientConnection connection = await TestOptions.ConnectAsync(peer.EndPoint);

        Task<TransactionResult> first = connection.SendAsync(TestOptions.Transaction(TestOptions.Message("one"), "a@example.test"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => connection.SendAsync(TestOptions.Transaction(TestOptions.Message("two"), "a@example.test")));
        Assert.Equal(RecipientStatus.Delivered, (await first).Recipients[0].Status);
    }

    [Fact]
    public async Task Addresses_with_line_breaks_are_refused_locally()
    {
        await using var peer = new ScriptedPeer(new SmtpDialogue());
        await using SmtpClientConnection connection = await TestOptions.ConnectAsync(peer.EndPoint);

        TransactionResult result = await connection.SendAsync(TestOptions.Transaction(TestOptions.Message("inject"), "a@example.test", "b@example.test>\r\nRCPT TO:<evil@example.test"));

        Assert.Equal(RecipientStatus.Delivered, result.Recipients[0].Status);
        Assert.Equal(RecipientStatus.PermanentFailure, result.Recipients[1].Status);
        Assert.Equal("5.1.3", result.Recipients[1].Reply.EnhancedCode?.ToString());

        var badSender = new MessageTransaction("a@x\r\nDATA", new[] { new TransactionRecipient("a@example.test") }, TestOptions.Message("inject"));
        Assert.Equal("5.1.7", (await connection.SendAsync(badSender)).Recipients[0].Reply.EnhancedCode?.ToString());
    }
}
