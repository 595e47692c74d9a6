using System.Text;
using Microsoft.Extensions.Logging;
using MtaCluster.Smtp.Auth;
using MtaCluster.Smtp.Protocol;

namespace MtaCluster.Smtp.Server;

/// <summary>AUTH (RFC 4954): the PLAIN (RFC 4616) and LOGIN exchanges and the credential check.</summary>
public sealed partial class SmtpSession
{
    private enum AuthStep
    {
        PlainResponse,
        LoginUser,
        LoginPassword,
    }

    private static readonly EncodedReply PlainChallenge = new(334, null, "");
    private static readonly EncodedReply UserNameChallenge = new(334, null, "VXNlcm5hbWU6");
    private static readonly EncodedReply PasswordChallenge = new(334, null, "UGFzc3dvcmQ6");
    private static readonly EncodedReply AuthNotAvailable = new(502, new(5, 5, 1), "AUTH not available");
    private static readonly EncodedReply MalformedPlain = new(501, new(5, 5, 2), "Malformed PLAIN response");

    private string? _authenticatedUser;
    private int _authFailures;
    private AuthStep _authStep;
    private string _authUser = "";
    private string _authPassword = "";

    private Step BeginAuth(ReadOnlySpan<byte> arguments)
    {
        if (_authenticatedUser is not null) return BadCommand(SmtpReplies.AlreadyAuthenticated);
        if (_context.Authenticator is null) return BadCommand(AuthNotAvailable);
        // RFC 4954 §4 and RFC 8314 §3: credentials only over TLS.
        if (!_transport.IsSecure) return Reply(SmtpReplies.EncryptionRequired);
        var (mechanism, initial) = SmtpCommandParser.ParseAuth(arguments);
        switch (mechanism)
        {
            case "PLAIN":
                _authStep = AuthStep.PlainResponse;
                if (initial is null)
                {
                    _mode = InputMode.AuthResponse;
                    return Reply(PlainChallenge);
                }
                return ContinueAuth(Encoding.ASCII.GetBytes(initial));
            case "LOGIN":
                _authStep = AuthStep.LoginUser;
                if (initial is null)
                {
                    _mode = InputMode.AuthResponse;
                    return Reply(UserNameChallenge);
                }
                return ContinueAuth(Encoding.ASCII.GetBytes(initial));
            default:
                return BadCommand(SmtpReplies.UnknownMechanism);
        }
    }

    private Step ContinueAuth(ReadOnlySpan<byte> response)
    {
        _mode = InputMode.Command;
        if (response.SequenceEqual("*"u8)) return Reply(SmtpReplies.AuthCancelled);
        if (!SaslDecoder.TryDecodeBase64(Encoding.ASCII.GetString(response), out var decoded)) return BadCommand(SmtpReplies.BadBase64);
        switch (_authStep)
        {
            case AuthStep.PlainResponse:
                if (!SaslDecoder.TryParsePlain(decoded, out _authUser, out _authPassword)) return BadCommand(MalformedPlain);
                _pending = PendingAction.Authenticate;
                return Step.Pending;
            case AuthStep.LoginUser:
                _authUser = decoded;
                _authStep = AuthStep.LoginPassword;
                _mode = InputMode.AuthResponse;
                return Reply(PasswordChallenge);
            default:
                _authPassword = decoded;
                _pending = PendingAction.Authenticate;
                return Step.Pending;
        }
    }

    /// <summary>Checks the credentials the exchange collected; false closes the connection.</summary>
    private async Task<bool> AuthenticateAsync(CancellationToken cancellationToken)
    {
        bool ok = await _context.Authenticator!.AuthenticateAsync(_authUser, _authPassword, cancellationToken).ConfigureAwait(false);
        _authPassword = "";
        if (ok)
        {
            _authenticatedUser = _authUser;
            _logger.LogInformation("Client {Client} authenticated as {User}", _clientAddress, _authUser);
            Write(SmtpReplies.AuthSucceeded);
            return true;
        }
        Refused(RefusalKind.AuthFailed, SmtpReplies.BadCredentials, "user", RefusalLog.Printable(_authUser));
        Write(SmtpReplies.BadCredentials);
        if (++_authFailures < _options.MaxAuthFailures) return true;
        Refused(RefusalKind.TooManyErrors, SmtpReplies.TooManyAuthFailures, "auth_failures", _authFailures);
        Write(SmtpReplies.TooManyAuthFailures);
        return false;
    }
}
