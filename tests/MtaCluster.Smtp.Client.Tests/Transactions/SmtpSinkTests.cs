using System.Net;
using System.Text;
using MtaCluster.Mail;
using MtaCluster.Smtp.Client.Connection;
using MtaCluster.Smtp.Client.Protocol;
using MtaCluster.Smtp.Client.Tests.Infrastructure;
using MtaCluster.Smtp.Client.Transactions;
using MtaCluster.Testing;

namespace MtaCluster.Smtp.Client.Tests.Transactions;

/// <summary>Against Postfix's smtp-sink, with its fault flags (smtp-sink(1)).</summary>
public class SmtpSinkTests
{
    [Fact]
    public async Task A_message_arrives_unchanged_with_its_envelope_from_the_bound_source_address()
    {
        await using SmtpSink sink = await SmtpSink.StartAsync(dump: true);
        string body = ".starts with a dot\r\nplain\r\n..two dots\r\n.\r\nno final line end";
        var tx = new MessageTransaction("sender@origin.test", new[]
        {
            new TransactionRecipient("a@example.test") { Notify = DsnNotify.Success | DsnNotify.Failure, OriginalRecipient = "orig@origin.test" },
            new TransactionRecipient("b@example.test") { Notify = DsnNotify.Never },
        }, TestOptions.Message("dots", body))
        {
            BodyType = MessageBodyType.EightBitMime,
            Return = DsnReturn.Full,
            EnvelopeId = "env-1",
        };

        await using (SmtpClientConnection connection = await TestOptions.ConnectAsync(sink.EndPoint, localAddress: IPAddress.Parse("127.0.0.3")))
        {
            Assert.True(connection.Capabilities.Supports(SmtpExtensions.Pipelining | SmtpExtensions.EightBitMime | SmtpExtensions.Dsn | SmtpExtensions.EnhancedStatusCodes));
            TransactionResult result = await connection.SendAsync(tx);

            Assert.All(result.Recipients, r => Assert.Equal(RecipientStatus.Delivered, r.Status));
            Assert.Equal("2.0.0", result.DataReply!.EnhancedCode?.ToString());
        }

        string dump = Assert.Single(await sink.WaitForDumpsAsync(1));
        Assert.Contains("X-Client-Addr: 127.0.0.3\n", dump, StringComparison.Ordinal);
        Assert.Contains("X-Mail-Args: <sender@origin.test> BODY=8BITMIME RET=FULL ENVID=env-1\n", dump, StringComparison.Ordinal);
        Assert.Contains("X-Rcpt-Args: <a@example.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;orig@origin.test\n", dump, StringComparison.Ordinal);
        Assert.Contains("X-Rcpt-Args: <b@example.test> NOTIFY=NEVER\n", dump, StringComparison.Ordinal);

        // smtp-sink writes lines with LF and undoes the dot-stuffing.
        Assert.Contains("\n\n" + body.Replace("\r\n", "\n", StringComparison.Ordinal) + "\n", dump, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_dsn_the_dsn_parameters_are_withheld()
    {
        await using SmtpSink sink = await SmtpSink.StartAsync(true, "-N");
        var tx = new MessageTransaction("sender@origin.test", new[] { new TransactionRecipient("a@example.test") { Notify = DsnNotify.Failure, OriginalRecipient = "o@origin.test" } }, TestOptions.Message("nodsn"))
        {
            Return = DsnReturn.Headers,
            EnvelopeId = "e",
        };

        await using (SmtpClientConnection connection = await TestOptions.ConnectAsync(sink.EndPoint))
        {
            Assert.False(connection.Capabilities.Supports(SmtpExtensions.Dsn));
            TransactionResult result = await connection.SendAsync(tx);
            Assert.False(result.DsnParametersSent);
            Assert.Equal(RecipientStatus.Delivered, result.Recipients[0].Status);
        }

        string dump = Assert.Single(await sink.WaitForDumpsAsync(1));
        Assert.Contains("X-Mail-Args: <sender@origin.test>\n", dump, StringComparison.Ordinal);
        Assert.Contains("X-Rcpt-Args: <a@example.test>\n", dump, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_enhancedstatuscodes_replies_have_no_enhanced_code()
    {
        await using SmtpSink sink = await SmtpSink.StartAsync(false, "-E");
        await using SmtpClientConnection connection = await TestOptions.ConnectAsync(sink.EndPoint);

        TransactionResult result = await connection.SendAsync(TestOptions.Transaction(TestOptions.Message("noenh"), "a@example.test"));

        Assert.Equal(RecipientStatus.Delivered, result.Recipients[0].Status);
        Assert.Null(result.DataReply!.EnhancedCode);
    }

    [Fact]
    public async Task Soft_failed_rcpt_is_transient_and_no_data_is_sent()
    {
        await using SmtpSink sink = await SmtpSink.StartAsync(true, "-r", "RCPT");
        await using SmtpClientConnection connection = await TestOptions.ConnectAsync(sink.EndPoint);

        TransactionResult result = await connection.SendAsync(TestOptions.Transaction(TestOptions.Message("soft"), "a@example.test", "b@example.test"));

        Assert.All(result.Recipients, r => Assert.Equal(RecipientStatus.TransientFailure, r.Status));
        Assert.Equal(450, result.Recipients[0].Reply.Code);
        Assert.Null(result.DataReply);
        Assert.True(connection.IsUsable);
        Assert.Empty(Directory.GetFiles(sink.DumpDirectory!));
    }

    [Fact]
    public async Task Hard_failed_rcpt_is_permanent()
    {
        await using SmtpSink sink = await SmtpSink.StartAsync(false, "-f", "RCPT");
        await using SmtpClientConnection connection = await TestOptions.ConnectAsync(sink.EndPoint);

        TransactionResult result = await connection.SendAsync(TestOptions.Transaction(TestOptions.Message("hard"), "a@example.test"));

        Assert.Equal(RecipientStatus.PermanentFailure, result.Recipients[0].Status);
        Assert.Equal("5.3.0", result.Recipients[0].Reply.EnhancedCode?.ToString());
    }

    [Fact]
    public async Task A_421_after_data_is_transient_and_retires_the_connection()
    {
        await using SmtpSink sink = await SmtpSink.StartAsync(false, "-Q", "DATA");
        await using SmtpClientConnection connection = await TestOptions.ConnectAsync(sink.EndPoint);

        TransactionResult result = await connection.SendAsync(TestOptions.Transaction(TestOptions.Message("421"), "a@example.test", "b@example.test"));

        Assert.All(result.Recipients, r => Assert.Equal(RecipientStatus.TransientFailure, r.Status));
        Assert.Equal(421, result.Recipients[0].Reply.Code);
        Assert.Equal(SmtpFailureKind.ServiceClosing, result.ConnectionFailure!.Kind);
        Assert.False(connection.IsUsable);
    }

    [Fact]
    public async Task A_rcpt_reply_slower_than_the_rcpt_timeout_is_a_transient_timeout()
    {
        // With PIPELINING smtp-sink answers the DATA behind a delayed RCPT first (503, out of
        // order), so the delay is tested one command at a time.
        await using SmtpSink sink = await SmtpSink.StartAsync(false, "-p", "-W", "rcpt:3");
        await using SmtpClientConnection connection = await TestOptions.ConnectAsync(sink.EndPoint, TestOptions.Fast(seconds: 1));

        TransactionResult result = await connection.SendAsync(TestOptions.Transaction(TestOptions.Message("slow"), "a@example.test"));

        Assert.Equal(RecipientStatus.TransientFailure, result.Recipients[0].Status);
        Assert.Equal(SmtpFailureKind.Timeout, result.ConnectionFailure!.Kind);
        Assert.False(connection.IsUsable);
    }

    [Fact]
    public async Task Without_pipelining_messages_still_go_one_command_at_a_time()
    {
        await using SmtpSink sink = await SmtpSink.StartAsync(true, "-p");
        await using (SmtpClientConnection connection = await TestOptions.ConnectAsync(sink.EndPoint))
        {
            Assert.False(connection.Capabilities.Supports(SmtpExtensions.Pipelining));
            TransactionResult result = await connection.SendAsync(TestOptions.Transaction(TestOptions.Message("nopipe"), "a@example.test", "b@example.test"));
            Assert.Equal(2, result.Count(RecipientStatus.Delivered));
        }

        Assert.Single(await sink.WaitForDumpsAsync(1));
    }

    [Fact]
    public async Task Many_messages_go_over_one_connection()
    {
        await using SmtpSink sink = await SmtpSink.StartAsync(dump: true);
        await using (SmtpClientConnection connection = await TestOptions.ConnectAsync(sink.EndPoint))
        {
            for (int i = 0; i < 25; i++)
            {
                TransactionResult result = await connection.SendAsync(TestOptions.Transaction(TestOptions.Message($"n{i}", $"message {i}\r\n"), "a@example.test"));
                Assert.Equal(RecipientStatus.Delivered, result.Recipients[0].Status);
            }

            Assert.True(connection.IsUsable);
        }

        string[] dumps = await sink.WaitForDumpsAsync(25);
        Assert.Equal(25, dumps.Length);
        Assert.Equal(25, Enumerable.Range(0, 25).Count(i => dumps.Any(d => d.Contains($"Subject: n{i}\n", StringComparison.Ordinal))));
    }
}
