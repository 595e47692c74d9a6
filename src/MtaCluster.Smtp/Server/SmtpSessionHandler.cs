namespace MtaCluster.Smtp.Server;

/// <summary>Runs an <see cref="SmtpSession"/> for each connection, in the accepting server's task.</summary>
public sealed class SmtpSessionHandler : ISmtpConnectionHandler
{
    private readonly SmtpServerContext _context;

    public SmtpSessionHandler(SmtpServerContext context) => _context = context;

    public Task HandleConnectionAsync(SmtpConnection connection, CancellationToken cancellationToken) =>
        new SmtpSession(connection, connection.Listener, _context).RunAsync(cancellationToken);
}
