namespace MtaCluster.Smtp.Server;

/// <summary>
/// Called by <see cref="SmtpServer"/> for every accepted connection; the returned task runs until the
/// connection ends. The node creates its per-connection actor here; <see cref="SmtpSessionHandler"/> just
/// runs the SMTP session. The token is cancelled when the server stops.
/// </summary>
public interface ISmtpConnectionHandler
{
    Task HandleConnectionAsync(SmtpConnection connection, CancellationToken cancellationToken);
}
