using System.Net.Security;
using System.Security.Authentication;
using MtaCluster.Mail;
using MtaCluster.Smtp.Client.Connection;
using MtaCluster.Smtp.Client.Protocol;
using MtaCluster.Smtp.Client.Tests.Infrastructure;
using MtaCluster.Smtp.Client.Transactions;
using MtaCluster.Testing;

namespace MtaCluster.Smtp.Client.Tests.Connection;

/// <summary>STARTTLS against a real Postfix with a self-signed certificate.</summary>
public class PostfixTlsTests : IClassFixture<PostfixServer>
{
    private readonly PostfixServer _postfix;

    public PostfixTlsTests(PostfixServer postfix) => _postfix = postfix;

    [Theory]
    [InlineData(TlsPolicy.Opportunistic)]
    [InlineData(TlsPolicy.Required)]
    public async Task Starttls_is_negotiated_reported_and_the_message_delivered(TlsPolicy policy)
    {
        await using SmtpClientConnection connection = await TestOptions.ConnectAsync(_postfix.EndPoint, TestOptions.Fast(policy, seconds: 10));

        Assert.True(connection.IsTls);
        Assert.Contains(connection.TlsProtocol, new SslProtocols?[] { SslProtocols.Tls12, SslProtocols.Tls13 });
        Assert.NotNull(connection.TlsCipherSuite);
        Assert.NotEqual(default(TlsCipherSuite), connection.TlsCipherSuite);

        // RFC 3207 §4.2: the capabilities are those of the second EHLO, inside TLS.
        Assert.False(connection.Capabilities.Supports(SmtpExtensions.StartTls));
        Assert.True(connection.Capabilities.Supports(SmtpExtensions.Pipelining | SmtpExtensions.Dsn | SmtpExtensions.SmtpUtf8 | SmtpExtensions.EnhancedStatusCodes));

        string tag = Guid.NewGuid().ToString("N");
        TransactionResult result = await connection.SendAsync(new MessageTransaction("sender@origin.test", new[]
        {
            new TransactionRecipient($"one-{tag}@{PostfixServer.Domain}") { Notify = DsnNotify.Failure },
            new TransactionRecipient($"two-{tag}@{PostfixServer.Domain}"),
        }, TestOptions.Message("tls " + policy)));

        Assert.All(result.Recipients, r => Assert.Equal(RecipientStatus.Delivered, r.Status));
        Assert.Equal("2.0.0", result.DataReply!.EnhancedCode?.ToString());
        Assert.Contains("queued as", result.DataReply.Text, StringComparison.Ordinal);
        Assert.True(result.DsnParametersSent);
        await connection.QuitAsync();

        string log = await _postfix.WaitForLogAsync($"two-{tag}@{PostfixServer.Domain}>, relay=none");
        Assert.Contains($"to=<one-{tag}@{PostfixServer.Domain}>", log, StringComparison.Ordinal);
        Assert.Contains("status=sent", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Policy_none_stays_in_clear_though_starttls_is_offered()
    {
        await using SmtpClientConnection connection = await TestOptions.ConnectAsync(_postfix.EndPoint, TestOptions.Fast(TlsPolicy.None, seconds: 10));

        Assert.False(connection.IsTls);
        Assert.Null(connection.TlsProtocol);
        Assert.True(connection.Capabilities.Supports(SmtpExtensions.StartTls));
        TransactionResult result = await connection.SendAsync(TestOptions.Transaction(TestOptions.Message("clear"), $"clear@{PostfixServer.Domain}"));
        Assert.Equal(RecipientStatus.Delivered, result.Recipients[0].Status);
    }

    [Fact]
    public async Task Many_messages_go_over_one_tls_connection()
    {
        await using SmtpClientConnection connection = await TestOptions.ConnectAsync(_postfix.EndPoint, TestOptions.Fast(TlsPolicy.Required, seconds: 10));

        for (int i = 0; i < 20; i++)
        {
            TransactionResult result = await connection.SendAsync(TestOptions.Transaction(TestOptions.Message($"reuse {i}", new string('x', 3000) + "\r\n"), $"reuse{i}@{PostfixServer.Domain}"));
            Assert.Equal(RecipientStatus.Delivered, result.Recipients[0].Status);
        }

        Assert.Equal(20, connection.TransactionCount);
        Assert.True(connection.IsUsable);
    }

    [Fact]
    public async Task A_recipient_postfix_refuses_is_permanent_while_the_other_is_delivered()
    {
        await using SmtpClientConnection connection = await TestOptions.ConnectAsync(_postfix.EndPoint, TestOptions.Fast(TlsPolicy.Opportunistic, seconds: 10));

        TransactionResult result = await connection.SendAsync(TestOptions.Transaction(TestOptions.Message("mixed"), $"ok@{PostfixServer.Domain}", "someone@elsewhere.test"));

        Assert.Equal(RecipientStatus.Delivered, result.Recipients[0].Status);
        Assert.Equal(RecipientStatus.PermanentFailure, result.Recipients[1].Status);
        Assert.Equal("5.7.1", result.Recipients[1].Reply.EnhancedCode?.ToString());
        Assert.False(result.Recipients[1].Reply.IsLocal);
    }
}
