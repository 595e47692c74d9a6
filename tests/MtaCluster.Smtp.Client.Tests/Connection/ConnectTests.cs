using System.Net;
using MtaCluster.Smtp.Client.Connection;
using MtaCluster.Smtp.Client.Protocol;
using MtaCluster.Smtp.Client.Tests.Infrastructure;
using MtaCluster.Smtp.Client.Transactions;
using MtaCluster.Testing;

namespace MtaCluster.Smtp.Client.Tests.Connection;

/// <summary>Opening a connection: greeting, EHLO/HELO, source address, and the ways it fails.</summary>
public class ConnectTests
{
    [Fact]
    public async Task Connect_reads_the_greeting_and_the_ehlo_capabilities()
    {
        var dialogue = new SmtpDialogue { Keywords = new[] { "PIPELINING", "SIZE 5000", "8BITMIME", "SMTPUTF8", "DSN", "ENHANCEDSTATUSCODES", "CHUNKING" } };
        await using var peer = new ScriptedPeer(dialogue);

        await using SmtpClientConnection connection = await TestOptions.ConnectAsync(peer.EndPoint);

        Assert.Equal(220, connection.Greeting.Code);
        Assert.True(connection.IsExtended);
        Assert.True(connection.Capabilities.Supports(SmtpExtensions.Pipelining | SmtpExtensions.SmtpUtf8 | SmtpExtensions.Chunking));
        Assert.Equal(5000, connection.Capabilities.MaxMessageSize);
        Assert.False(connection.IsTls);
        Assert.Equal(peer.EndPoint, connection.RemoteEndPoint);
        Assert.True(connection.IsUsable);
    }

    [Fact]
    public async Task Greeting_421_is_a_transient_refusal_carrying_the_servers_reply()
    {
        await using var peer = new ScriptedPeer(new SmtpDialogue { Greeting = "421 4.3.2 peer.test busy, try later\r\n" });

        SmtpConnectResult result = await SmtpClientConnection.ConnectAsync(peer.EndPoint, null, TestOptions.HeloName, TestOptions.Fast());

        Assert.False(result.IsConnected);
        Assert.Equal(SmtpFailureKind.GreetingRejected, result.Failure.Kind);
        Assert.Equal(421, result.Failure.Reply.Code);
        Assert.False(result.Failure.Reply.IsLocal);
        Assert.True(result.Failure.IsTransient);
    }

    [Fact]
    public async Task Greeting_554_is_permanent_and_answered_with_quit()
    {
        await using var peer = new ScriptedPeer(new SmtpDialogue { Greeting = "554 peer.test no service for you\r\n" });

        SmtpConnectResult result = await SmtpClientConnection.ConnectAsync(peer.EndPoint, null, TestOptions.HeloName, TestOptions.Fast());
        await peer.FinishAsync();

        Assert.Equal(SmtpFailureKind.GreetingRejected, result.Failure!.Kind);
        Assert.True(result.Failure.Reply.IsPermanent);
        Assert.Equal(new[] { "QUIT" }, peer.Connections[0].Lines);
    }

    [Fact]
    public async Task Ehlo_refused_with_502_falls_back_to_helo_without_extensions()
    {
        var dialogue = new SmtpDialogue { OnCommand = line => line.StartsWith("EHLO", StringComparison.Ordinal) ? "502 5.5.2 Error: command not recognized\r\n" : null };
        await using var peer = new ScriptedPeer(dialogue);

        await using (SmtpClientConnection connection = await TestOptions.ConnectAsync(peer.EndPoint))
        {
            Assert.False(connection.IsExtended);
            Assert.Equal(SmtpExtensions.None, connection.Capabilities.Extensions);

            var result = await connection.SendAsync(TestOptions.Transaction(TestOptions.Message("helo"), "a@example.test", "b@example.test"));
            Assert.Equal(2, result.Count(RecipientStatus.Delivered));
        }

        await peer.FinishAsync();
        PeerConnection seen = peer.Connections[0];
        Assert.Equal("EHLO client.test", seen.Lines[0]);
        Assert.Equal("HELO client.test", seen.Lines[1]);
        Assert.Single(seen.Dialogue(), read => read.Contains("MAIL FROM", StringComparison.Ordinal) && !read.Contains("RCPT", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Ehlo_and_helo_both_refused_is_a_failure_with_the_helo_reply()
    {
        var dialogue = new SmtpDialogue { OnCommand = line => line.StartsWith("EHLO", StringComparison.Ordinal) ? "500 what\r\n" : line.StartsWith("HELO", StringComparison.Ordinal) ? "550 5.7.1 go away\r\n" : null };
        await using var peer = new ScriptedPeer(dialogue);

        SmtpConnectResult result = await SmtpClientConnection.ConnectAsync(peer.EndPoint, null, TestOptions.HeloName, TestOptions.Fast());

        Assert.Equal(SmtpFailureKind.HeloRejected, result.Failure!.Kind);
        Assert.Equal(550, result.Failure.Reply.Code);
    }

    [Fact]
    public async Task The_source_address_is_bound_as_asked()
    {
        await using var peer = new ScriptedPeer(new SmtpDialogue());

        await using (SmtpClientConnection connection = await TestOptions.ConnectAsync(peer.EndPoint, localAddress: IPAddress.Parse("127.0.0.2")))
        {
            Assert.Equal(IPAddress.Parse("127.0.0.2"), connection.LocalEndPoint.Address);
        }

        await peer.FinishAsync();
        Assert.Equal(IPAddress.Parse("127.0.0.2"), peer.Connections[0].RemoteEndPoint.Address);
    }

    [Fact]
    public async Task Nothing_listening_is_connect_refused()
    {
        var nowhere = new IPEndPoint(IPAddress.Loopback, FreePort.Next());

        SmtpConnectResult result = await SmtpClientConnection.ConnectAsync(nowhere, null, TestOptions.HeloName, TestOptions.Fast());

        Assert.Equal(SmtpFailureKind.ConnectRefused, result.Failure!.Kind);
        Assert.True(result.Failure.IsTransient);
        Assert.Equal("4.4.1", result.Failure.Reply.EnhancedCode?.ToString());
        Assert.True(result.Failure.Reply.IsLocal);
    }

    [Fact]
    public async Task A_source_address_that_is_not_ours_is_connect_failed()
    {
        await using var peer = new ScriptedPeer(new SmtpDialogue());

        SmtpConnectResult result = await SmtpClientConnection.ConnectAsync(peer.EndPoint, IPAddress.Parse("192.0.2.1"), TestOptions.HeloName, TestOptions.Fast());

        Assert.Equal(SmtpFailureKind.ConnectFailed, result.Failure!.Kind);
        Assert.True(result.Failure.IsTransient);
    }

    [Fact]
    public async Task A_greeting_slower_than_its_timeout_is_a_timeout()
    {
        await using var peer = new ScriptedPeer(async (connection, _) =>
        {
            await Task.Delay(3000);
            await connection.SendAsync("220 late\r\n");
        });

        SmtpConnectResult result = await SmtpClientConnection.ConnectAsync(peer.EndPoint, null, TestOptions.HeloName, TestOptions.Fast(seconds: 1));

        Assert.Equal(SmtpFailureKind.Timeout, result.Failure!.Kind);
        Assert.Equal("4.4.2", result.Failure.Reply.EnhancedCode?.ToString());
    }

    [Fact]
    public async Task A_garbled_greeting_is_a_protocol_error()
    {
        await using var peer = new ScriptedPeer(async (connection, _) =>
        {
            await connection.SendAsync("SSH-2.0-OpenSSH_9.2\r\n");
            await connection.ReadLineAsync();
        });

        SmtpConnectResult result = await SmtpClientConnection.ConnectAsync(peer.EndPoint, null, TestOptions.HeloName, TestOptions.Fast());

        Assert.Equal(SmtpFailureKind.ProtocolError, result.Failure!.Kind);
        Assert.True(result.Failure.IsTransient);
    }

    [Fact]
    public async Task The_callers_cancellation_throws_and_is_not_a_timeout()
    {
        await using var peer = new ScriptedPeer(async (connection, _) =>
        {
            await Task.Delay(5000);
            await connection.SendAsync("220 late\r\n");
        });
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            SmtpClientConnection.ConnectAsync(peer.EndPoint, null, TestOptions.HeloName, TestOptions.Fast(), cancel.Token));
    }
}
