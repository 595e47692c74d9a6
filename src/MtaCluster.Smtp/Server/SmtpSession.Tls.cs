using System.Security.Authentication;
using Microsoft.Extensions.Logging;

namespace MtaCluster.Smtp.Server;

/// <summary>TLS: STARTTLS (RFC 3207) and implicit TLS from the first byte (RFC 8314).</summary>
public sealed partial class SmtpSession
{
    private async Task<bool> TryStartTlsAsync(CancellationToken cancellationToken)
    {
        if (_context.Certificate is null)
        {
            _logger.LogWarning("Implicit TLS listener {Listener} has no certificate; closing {Client}", _listener.Name, _clientAddress);
            return false;
        }
        using var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        handshake.CancelAfter(_options.TlsHandshakeTimeout);
        try
        {
            await _transport.UpgradeToTlsAsync(_context.CreateTlsOptions(), handshake.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            _logger.LogInformation("TLS handshake with {Client} on {Listener} failed: {Reason}", _clientAddress, _listener.Name, ex.Message);
            return false;
        }
    }

    // RFC 3207 §4.2: after the handshake the client starts over with EHLO and nothing learned before counts.
    private void ResetAfterTls()
    {
        ResetTransaction();
        _heloName = null;
        _extended = false;
        _authenticatedUser = null;
        _state = SmtpSessionState.Connected;
        _mode = InputMode.Command;
    }
}
