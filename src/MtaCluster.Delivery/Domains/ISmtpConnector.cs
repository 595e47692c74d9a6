using System.Net;
using MtaCluster.Smtp.Client.Connection;

namespace MtaCluster.Delivery.Domains;

/// <summary>
/// Opens an outbound SMTP connection. The node uses <see cref="SmtpConnector"/>; a test puts its
/// own in front of it to make the local machine fail on cue (out of descriptors or ports), which no
/// real receiver can do.
/// </summary>
public interface ISmtpConnector
{
    Task<SmtpConnectResult> ConnectAsync(IPEndPoint remote, IPAddress? source, string heloName, string? remoteHostName,
        SmtpClientOptions options, CancellationToken cancellationToken);
}
