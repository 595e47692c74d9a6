using System.Net;
using System.Text;
using MtaCluster.Mail;
using MtaCluster.Smtp.Client.Connection;
using MtaCluster.Smtp.Client.Transactions;

namespace MtaCluster.Smtp.Client.Tests.Infrastructure;

internal static class TestOptions
{
    public const string HeloName = "client.test";

    /// <summary>Every timeout short, so a test about a timeout takes a second, not five minutes.</summary>
    public static SmtpClientOptions Fast(TlsPolicy tls = TlsPolicy.None, double seconds = 3) => new()
    {
        ConnectTimeout = TimeSpan.FromSeconds(seconds),
        GreetingTimeout = TimeSpan.FromSeconds(seconds),
        EhloTimeout = TimeSpan.FromSeconds(seconds),
        TlsHandshakeTimeout = TimeSpan.FromSeconds(seconds),
        MailTimeout = TimeSpan.FromSeconds(seconds),
        RcptTimeout = TimeSpan.FromSeconds(seconds),
        DataInitiationTimeout = TimeSpan.FromSeconds(seconds),
        DataBlockTimeout = TimeSpan.FromSeconds(seconds),
        DataTerminationTimeout = TimeSpan.FromSeconds(seconds),
        RsetTimeout = TimeSpan.FromSeconds(seconds),
        QuitTimeout = TimeSpan.FromSeconds(1),
        TlsPolicy = tls,
    };

    public static async Task<SmtpClientConnection> ConnectAsync(IPEndPoint remote, SmtpClientOptions? options = null, IPAddress? localAddress = null)
    {
        SmtpConnectResult result = await SmtpClientConnection.ConnectAsync(remote, localAddress, HeloName, options ?? Fast());
        Assert.True(result.IsConnected, result.Failure?.ToString());
        return result.Connection;
    }

    public static byte[] Message(string subject, string body = "Hello.\r\n") =>
        Encoding.UTF8.GetBytes($"From: sender@origin.test\r\nTo: someone@example.test\r\nSubject: {subject}\r\n\r\n{body}");

    public static MessageTransaction Transaction(byte[] content, params string[] recipients) =>
        new("sender@origin.test", recipients.Select(r => new TransactionRecipient(r)).ToArray(), content);
}
