using System.Net;
using MtaCluster.Smtp.Client.Connection;

namespace MtaCluster.Delivery.Domains;

/// <summary>Connects with <see cref="SmtpClientConnection"/>.</summary>
public sealed class SmtpConnector : ISmtpConnector
{
    public static readonly SmtpConnector Instance = new();

    public Task<SmtpConnectResult> ConnectAsync(IPEndPoint remote, IPAddress? source, string heloName, string? remoteHostName,
        SmtpClientOptions options, CancellationToken cancellationToken) =>
        SmtpClientConnection.ConnectAsync(remote, source, heloName, remoteHostName, options, cancellationToken);
}
