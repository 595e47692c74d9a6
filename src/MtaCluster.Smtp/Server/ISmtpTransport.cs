using System.IO.Pipelines;
using System.Net;
using System.Net.Security;

namespace MtaCluster.Smtp.Server;

/// <summary>
/// What an SMTP session runs over: a duplex pipe plus the facts about the peer. The session never sees a
/// socket; STARTTLS asks the transport to put TLS under new pipes.
/// </summary>
public interface ISmtpTransport : IAsyncDisposable
{
    /// <summary>Replaced by <see cref="UpgradeToTlsAsync"/>; read it again after an upgrade.</summary>
    PipeReader Input { get; }

    /// <summary>Replaced by <see cref="UpgradeToTlsAsync"/>; read it again after an upgrade.</summary>
    PipeWriter Output { get; }

    EndPoint? RemoteEndPoint { get; }

    EndPoint? LocalEndPoint { get; }

    bool IsSecure { get; }

    /// <summary>Protocol and cipher once secure, for the Received header (RFC 3848 comment); otherwise null.</summary>
    string? SecurityDescription { get; }

    /// <summary>
    /// Drops whatever the old input pipe had buffered (RFC 3207 §6: nothing sent before the handshake may be
    /// trusted) and runs the TLS server handshake on the raw stream.
    /// </summary>
    ValueTask UpgradeToTlsAsync(SslServerAuthenticationOptions options, CancellationToken cancellationToken);
}
