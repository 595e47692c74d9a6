using MtaCluster.Mail;
using MtaCluster.Smtp.Client.Connection;
using MtaCluster.Smtp.Client.Tests.Infrastructure;
using MtaCluster.Smtp.Client.Transactions;
using MtaCluster.Testing;

namespace MtaCluster.Smtp.Client.Tests.Connection;

/// <summary>STARTTLS going wrong, against a scripted peer (Postfix does it right: see <see cref="PostfixTlsTests"/>).</summary>
public class StartTlsFaultTests
{
    private static readonly string[] WithStartTls = { "PIPELINING", "STARTTLS", "8BITMIME", "ENHANCEDSTATUSCODES" };

    [Fact]
    public async Task Opportunistic_handshake_failure_is_a_distinct_outcome_and_a_clear_retry_delivers()
    {
        var clear = new SmtpDialogue { Keywords = WithStartTls };
        await using var peer = new ScriptedPeer((connection, index) => index == 0 ? SmtpDialogue.BrokenStartTlsAsync(connection) : clear.RunAsync(connection));

        SmtpConnectResult first = await SmtpClientConnection.ConnectAsync(peer.EndPoint, null, TestOptions.HeloName, TestOptions.Fast(TlsPolicy.Opportunistic));

        Assert.False(first.IsConnected);
        Assert.Equal(SmtpFailureKind.OpportunisticTlsFailed, first.Failure.Kind);
        Assert.True(first.Failure.RetryWithoutTls);
        Assert.True(first.Failure.IsTransient);

        await using SmtpClientConnection retry = await TestOptions.ConnectAsync(peer.EndPoint, TestOptions.Fast(TlsPolicy.None));
        Assert.False(retry.IsTls);
        TransactionResult result = await retry.SendAsync(TestOptions.Transaction(TestOptions.Message("clear"), "a@example.test"));
        Assert.Equal(RecipientStatus.Delivered, result.Recipients[0].Status);
    }

    [Fact]
    public async Task Required_handshake_failure_is_a_transient_4_7_5()
    {
        await using var peer = new ScriptedPeer((connection, _) => SmtpDialogue.BrokenStartTlsAsync(connection));

        SmtpConnectResult result = await SmtpClientConnection.ConnectAsync(peer.EndPoint, null, TestOptions.HeloName, TestOptions.Fast(TlsPolicy.Required));

        Assert.Equal(SmtpFailureKind.TlsHandshakeFailed, result.Failure!.Kind);
        Assert.False(result.Failure.RetryWithoutTls);
        Assert.Equal(421, result.Failure.Reply.Code);
        Assert.Equal("4.7.5", result.Failure.Reply.EnhancedCode?.ToString());
    }

    [Fact]
    public async Task Required_without_starttls_offered_is_a_transient_4_7_4_and_quits()
    {
        await using var peer = new ScriptedPeer(new SmtpDialogue());

        SmtpConnectResult result = await SmtpClientConnection.ConnectAsync(peer.EndPoint, null, TestOptions.HeloName, TestOptions.Fast(TlsPolicy.Required));
        await peer.FinishAsync();

        Assert.Equal(SmtpFailureKind.TlsNotAvailable, result.Failure!.Kind);
        Assert.Equal("4.7.4", result.Failure.Reply.EnhancedCode?.ToString());
        Assert.True(result.Failure.IsTransient);
        Assert.Equal("QUIT", peer.Connections[0].Lines[^1]);
    }

    [Fact]
    public async Task Opportunistic_carries_on_in_clear_when_starttls_is_refused_with_454()
    {
        var dialogue = new SmtpDialogue { Keywords = WithStartTls, OnCommand = line => line == "STARTTLS" ? "454 4.7.0 TLS not available due to local problem\r\n" : null };
        await using var peer = new ScriptedPeer(dialogue);

        await using SmtpClientConnection connection = await TestOptions.ConnectAsync(peer.EndPoint, TestOptions.Fast(TlsPolicy.Opportunistic));

        Assert.False(connection.IsTls);
        TransactionResult result = await connection.SendAsync(TestOptions.Transaction(TestOptions.Message("454"), "a@example.test"));
        Assert.Equal(RecipientStatus.Delivered, result.Recipients[0].Status);
    }

    [Fact]
    public async Task Required_with_starttls_refused_is_4_7_4()
    {
        var dialogue = new SmtpDialogue { Keywords = WithStartTls, OnCommand = line => line == "STARTTLS" ? "454 4.7.0 TLS not available\r\n" : null };
        await using var peer = new ScriptedPeer(dialogue);

        SmtpConnectResult result = await SmtpClientConnection.ConnectAsync(peer.EndPoint, null, TestOptions.HeloName, TestOptions.Fast(TlsPolicy.Required));

        Assert.Equal(SmtpFailureKind.TlsNotAvailable, result.Failure!.Kind);
        Assert.Equal("4.7.4", result.Failure.Reply.EnhancedCode?.ToString());
    }

    [Fact]
    public async Task Plain_text_injected_after_the_220_to_starttls_is_refused()
    {
        var dialogue = new SmtpDialogue
        {
            Keywords = WithStartTls,
            OnCommand = line => line == "STARTTLS" ? "220 2.0.0 Ready\r\n250 2.1.0 injected\r\n" : null,
        };
        await using var peer = new ScriptedPeer(dialogue);

        // The dialogue writes both replies in one send, so they arrive in one read.
        SmtpConnectResult result = await SmtpClientConnection.ConnectAsync(peer.EndPoint, null, TestOptions.HeloName, TestOptions.Fast(TlsPolicy.Opportunistic));

        Assert.False(result.IsConnected);
        Assert.Equal(SmtpFailureKind.ProtocolError, result.Failure.Kind);
    }
}
